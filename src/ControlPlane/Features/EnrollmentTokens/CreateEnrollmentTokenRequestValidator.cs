using FluentValidation;

namespace Ops.ControlPlane.Features.EnrollmentTokens;

internal sealed class CreateEnrollmentTokenRequestValidator : AbstractValidator<CreateEnrollmentTokenRequest>
{
    public CreateEnrollmentTokenRequestValidator()
    {
        RuleFor(r => r.ExpiresInMinutes).InclusiveBetween(1, 525_600);
        RuleFor(r => r.MaxUses).InclusiveBetween(1, 10_000);
        RuleFor(r => r.Labels)
            .Must(l => l is null || l.Count <= 20).WithMessage("At most 20 labels.")
            .Must(l => l is null || l.All(p => p.Key.Length is > 0 and <= 63 && p.Value is not null && p.Value.Length <= 255))
            .WithMessage("Label keys must be 1–63 characters and values at most 255.");
    }
}
