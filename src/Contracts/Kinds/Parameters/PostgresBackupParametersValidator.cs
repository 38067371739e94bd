using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresBackupParameters"/>.</summary>
public sealed class PostgresBackupParametersValidator : AbstractValidator<PostgresBackupParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresBackupParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.Format).Must(f => f is null or "custom" or "plain-gzip").WithMessage("format must be custom or plain-gzip.");
        RuleFor(p => p.Tables).Must(t => t is null || t.Count <= 100).WithMessage("At most 100 tables.");
        RuleForEach(p => p.Tables).TableName();
        RuleFor(p => p.RetentionDays).InclusiveBetween(1, 3650);
    }
}
