using FluentValidation;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>Validates <see cref="ApprovalDecisionRequest"/>: a comment of at most 2,000 characters that PostgreSQL can store (no NUL).</summary>
internal sealed class ApprovalDecisionRequestValidator : AbstractValidator<ApprovalDecisionRequest>
{
    public const int MaxCommentLength = 2000;

    public ApprovalDecisionRequestValidator()
    {
        RuleFor(r => r.Comment)
            .MaximumLength(MaxCommentLength).WithMessage($"comment must be at most {MaxCommentLength} characters.")
            .Must(c => c is null || !c.Contains('\0', StringComparison.Ordinal)).WithMessage("comment must not contain NUL characters.");
    }
}
