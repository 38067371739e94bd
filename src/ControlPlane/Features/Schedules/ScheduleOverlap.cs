namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// What a slot does when the run of an earlier slot of the same schedule is still unfinished
/// (DESIGN.md §13; the policies of Temporal schedules and Kubernetes CronJob <c>concurrencyPolicy</c>).
/// Stored and shown in lower snake case; SQL twin: the check of <c>schedules.overlap</c> (migration 0020).
/// </summary>
public enum ScheduleOverlap
{
    /// <summary>The slot is recorded <c>skipped</c> (default; CronJob <c>Forbid</c>).</summary>
    Skip,

    /// <summary>The slot starts when the unfinished run ends; at most one slot waits, later ones are <c>skipped</c>.</summary>
    BufferOne,

    /// <summary>The slot starts anyway; runs overlap (CronJob <c>Allow</c>).</summary>
    Allow,

    /// <summary>The unfinished runs are cancelled and the slot starts (CronJob <c>Replace</c>).</summary>
    CancelOther,
}
