namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// An operation's state, derived from its jobs (DESIGN.md §5): <c>queued</c> while nothing has
/// started, <c>running</c> while any job is in flight, then <c>succeeded</c> (all jobs),
/// <c>failed</c> (any job failed or was lost), <c>timed_out</c>, <c>cancelled</c>.
/// </summary>
public enum OperationStatus
{
    PendingApproval,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
}
