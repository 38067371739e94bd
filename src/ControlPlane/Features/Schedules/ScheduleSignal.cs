using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Wakes the <see cref="Scheduler"/> of every replica: a schedule was saved, paused, resumed or
/// deleted, or a slot's run ended (<c>NOTIFY ops_schedules, '&lt;schedule id&gt;'</c>, sent by
/// <see cref="ScheduleStore"/> and by the trigger of migration 0020), plus an in-process
/// <see cref="BroadcastSignal.Notify"/> after local commits.
/// </summary>
internal sealed class ScheduleSignal : BroadcastSignal
{
    /// <summary>The PostgreSQL channel.</summary>
    public const string Channel = "ops_schedules";
}
