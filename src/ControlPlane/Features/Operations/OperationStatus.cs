namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// An operation's state, derived from its jobs' counters (DESIGN.md §5; SQL
/// <c>operation_status_from_counts</c>): <c>pending_approval</c> while every job awaits approval,
/// <c>waiting</c> / <c>queued</c> while nothing has started, <c>running</c> while any job is in
/// flight, then <c>succeeded</c> (all jobs), <c>failed</c> (any job failed, was lost or skipped),
/// <c>timed_out</c>, <c>cancelled</c>; <c>rejected</c> / <c>expired</c> when its approval was
/// refused or ran out (DESIGN.md §14).
/// </summary>
public enum OperationStatus
{
    PendingApproval,
    Waiting,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Rejected,
    Expired,
}
