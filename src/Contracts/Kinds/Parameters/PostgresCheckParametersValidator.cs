using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresCheckParameters"/>.</summary>
public sealed class PostgresCheckParametersValidator : AbstractValidator<PostgresCheckParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresCheckParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.Check).PolicyName();
    }
}
