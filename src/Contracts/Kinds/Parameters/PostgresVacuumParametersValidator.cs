using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresVacuumParameters"/>.</summary>
public sealed class PostgresVacuumParametersValidator : AbstractValidator<PostgresVacuumParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresVacuumParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.Tables).Must(t => t is null || t.Count <= 100).WithMessage("At most 100 tables.");
        RuleForEach(p => p.Tables).TableName();
    }
}
