using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresPurgeParameters"/>.</summary>
public sealed class PostgresPurgeParametersValidator : AbstractValidator<PostgresPurgeParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresPurgeParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.Rule).PolicyName();
    }
}
