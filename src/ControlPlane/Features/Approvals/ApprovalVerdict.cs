namespace Ops.ControlPlane.Features.Approvals;

/// <summary>One person's decision on an approval: <c>approve</c> or <c>reject</c>.</summary>
public enum ApprovalVerdict
{
    Approve,
    Reject,
}
