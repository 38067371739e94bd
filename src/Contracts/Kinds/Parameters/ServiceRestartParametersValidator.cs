using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="ServiceRestartParameters"/>.</summary>
public sealed class ServiceRestartParametersValidator : AbstractValidator<ServiceRestartParameters>
{
    /// <summary>Creates the rules.</summary>
    public ServiceRestartParametersValidator() => RuleFor(p => p.Service).PolicyName();
}
