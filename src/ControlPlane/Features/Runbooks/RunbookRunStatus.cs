namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// A runbook run's state (DESIGN.md §12), lower snake case on the API and in the database:
/// <c>pending_approval</c> (held for an approval, DESIGN.md §14), <c>waiting</c> (for a lock),
/// <c>running</c>, then one terminal state. Sets in <see cref="RunbookRunStates"/>; SQL twin
/// <c>runbook_run_is_terminal(status)</c> (migration 0011).
/// </summary>
public enum RunbookRunStatus
{
    PendingApproval,
    Waiting,
    Running,
    Succeeded,
    Failed,
    RolledBack,
    Cancelled,
    Rejected,
    Expired,
}
