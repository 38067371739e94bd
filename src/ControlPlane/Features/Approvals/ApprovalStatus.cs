namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// An approval's state (DESIGN.md §14): <c>pending</c> until <c>minApprovals</c> distinct people
/// approved (<c>approved</c>: the guarded request proceeds), one rejected (<c>rejected</c>), its
/// <c>expiresAt</c> passed (<c>expired</c>), or the guarded resource was withdrawn by its owner
/// (<c>cancelled</c>: an operation cancelled before a decision, a schedule's content changed or the
/// schedule was deleted). Every state but <c>pending</c> is final, with one exception: the
/// <c>approved</c> approval of a schedule becomes <c>cancelled</c> (void) when the content it
/// covers is replaced (docs/schedules.md).
/// </summary>
public enum ApprovalStatus
{
    Pending,
    Approved,
    Rejected,
    Expired,
    Cancelled,
}
