namespace Ops.ControlPlane.Features.Approvals;

/// <summary>An <c>approvals</c> row as read by Dapper (snake_case columns matched to these names).</summary>
internal sealed class ApprovalRow
{
    public const string Columns =
        "id, resource_type, resource_id, request, request_hash, risk, status, min_approvals, requested_by, requested_role, " +
        "requested_at, expires_at, decided_at, decided_by";

    public Guid Id { get; set; }
    public string ResourceType { get; set; } = string.Empty;
    public string ResourceId { get; set; } = string.Empty;
    public string Request { get; set; } = "{}";
    public string RequestHash { get; set; } = string.Empty;
    public string Risk { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public int MinApprovals { get; set; }
    public string RequestedBy { get; set; } = string.Empty;
    public string? RequestedRole { get; set; }
    public DateTime RequestedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }
}
