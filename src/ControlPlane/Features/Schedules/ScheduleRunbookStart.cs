namespace Ops.ControlPlane.Features.Schedules;

/// <summary>What <see cref="IScheduleRunbookStarter.StartAsync"/> did: the run it started (or had started), or why it could not.</summary>
/// <param name="RunId">The runbook run, when started.</param>
/// <param name="Error">Why no run was started (recorded as the slot's <c>error</c>, the slot is <c>failed</c>).</param>
internal sealed record ScheduleRunbookStart(Guid? RunId, string? Error);
