using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresReindexParameters"/>.</summary>
public sealed class PostgresReindexParametersValidator : AbstractValidator<PostgresReindexParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresReindexParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.Table).TableName().When(p => p.Table is not null);
    }
}
