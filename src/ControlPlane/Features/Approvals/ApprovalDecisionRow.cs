namespace Ops.ControlPlane.Features.Approvals;

/// <summary>An <c>approval_decisions</c> row as read by Dapper.</summary>
internal sealed class ApprovalDecisionRow
{
    public const string Columns = "approval_id, actor, actor_role, decision, comment, at";

    public Guid ApprovalId { get; set; }
    public string Actor { get; set; } = string.Empty;
    public string? ActorRole { get; set; }
    public string Decision { get; set; } = string.Empty;
    public string? Comment { get; set; }
    public DateTime At { get; set; }
}
