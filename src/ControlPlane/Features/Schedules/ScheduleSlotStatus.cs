namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// The states of a slot (DESIGN.md §13), lower snake case on the API. SQL twin: the check of
/// <c>schedule_slots.status</c> and <c>schedule_slots_settle</c> (migration 0020).
/// </summary>
public enum ScheduleSlotStatus
{
    /// <summary>Its operation or run was started and has not finished.</summary>
    Started,

    /// <summary>Its operation or run succeeded.</summary>
    Succeeded,

    /// <summary>Its operation or run failed, timed out, was cancelled or rolled back, or could not be started (see <c>error</c>).</summary>
    Failed,

    /// <summary>Not started: the previous slot's run was unfinished (overlap <c>skip</c>, or a second slot under <c>buffer_one</c>), or the schedule was paused while it waited.</summary>
    Skipped,

    /// <summary>Not started: the control plane was down at its time and it is older than the latest slot inside the catch-up window.</summary>
    Missed,
}
