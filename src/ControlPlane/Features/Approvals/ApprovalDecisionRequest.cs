namespace Ops.ControlPlane.Features.Approvals;

/// <summary>Body of <c>POST /api/v1/approvals/{id}/approve</c> and <c>/reject</c>; optional.</summary>
/// <param name="Comment">Why, at most 2,000 characters; shown in the approval's decisions and the audit log.</param>
public sealed record ApprovalDecisionRequest(string? Comment = null);
