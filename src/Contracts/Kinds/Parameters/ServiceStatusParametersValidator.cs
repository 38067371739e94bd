using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="ServiceStatusParameters"/>.</summary>
public sealed class ServiceStatusParametersValidator : AbstractValidator<ServiceStatusParameters>
{
    /// <summary>Creates the rules.</summary>
    public ServiceStatusParametersValidator()
    {
        RuleFor(p => p.Services).Must(s => s is null || s.Count <= 100).WithMessage("At most 100 services.");
        RuleForEach(p => p.Services).PolicyName();
    }
}
