namespace Ops.ControlPlane.Features.Jobs;

/// <summary>
/// A job's state (DESIGN.md §5), lower snake case on the API and in the database:
/// <c>pending_approval</c> → <c>queued</c> → <c>leased</c> → <c>running</c> → one terminal state.
/// </summary>
public enum JobStatus
{
    PendingApproval,
    Queued,
    Leased,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Lost,
}
