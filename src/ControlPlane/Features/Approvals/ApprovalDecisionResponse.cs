namespace Ops.ControlPlane.Features.Approvals;

/// <summary>One person's decision on an approval: who (<paramref name="By"/>, with their role then), what, when (UTC) and why.</summary>
public sealed record ApprovalDecisionResponse(
    string By,
    string? Role,
    ApprovalVerdict Decision,
    string? Comment,
    DateTimeOffset At);
