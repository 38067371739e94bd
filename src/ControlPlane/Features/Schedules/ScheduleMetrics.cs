using System.Diagnostics.Metrics;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>Schedule instruments of the <c>Ops.ControlPlane</c> meter (DESIGN.md §10).</summary>
internal static class ScheduleMetrics
{
    /// <summary>Slots recorded by the scheduler, tagged with <c>status</c> at recording time (started, skipped, missed, failed).</summary>
    public static Counter<long> Slots { get; } =
        OpsTelemetry.Meter.CreateCounter<long>("ops.schedule.slots", "{slot}", "Schedule slots recorded, by status.");
}
