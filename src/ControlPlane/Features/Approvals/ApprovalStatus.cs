namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// An approval's state (DESIGN.md §14): <c>pending</c> until <c>minApprovals</c> distinct people
/// approved (<c>approved</c>: the guarded request proceeds), one rejected (<c>rejected</c>), its
/// <c>expiresAt</c> passed (<c>expired</c>), or the guarded resource was withdrawn by its owner
/// before a decision (<c>cancelled</c>: an operation cancelled, a schedule's content changed).
/// Every state but <c>pending</c> is final.
/// </summary>
public enum ApprovalStatus
{
    Pending,
    Approved,
    Rejected,
    Expired,
    Cancelled,
}
