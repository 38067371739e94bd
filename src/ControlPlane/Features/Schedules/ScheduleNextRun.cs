namespace Ops.ControlPlane.Features.Schedules;

/// <summary>One upcoming slot: <paramref name="Utc"/> and the same instant in the schedule's zone, with its offset (<c>2026-12-02T02:00:00+01:00</c>).</summary>
public sealed record ScheduleNextRun(DateTimeOffset Utc, DateTimeOffset Local);
