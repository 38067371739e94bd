using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="HostDiskParameters"/>: at most 32 absolute paths, non-negative thresholds.</summary>
public sealed class HostDiskParametersValidator : AbstractValidator<HostDiskParameters>
{
    /// <summary>Creates the rules.</summary>
    public HostDiskParametersValidator()
    {
        RuleFor(p => p.Paths).Must(p => p is null || p.Count <= 32).WithMessage("At most 32 paths.");
        RuleForEach(p => p.Paths)
            .NotEmpty()
            .MaximumLength(4096)
            .Must(p => p.StartsWith('/')).WithMessage("'{PropertyValue}' is not an absolute path.");
        RuleFor(p => p.MinFreeBytes).GreaterThanOrEqualTo(0);
        RuleFor(p => p.MinFreePercent).InclusiveBetween(0, 100);
    }
}
