using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresRestoreParameters"/>.</summary>
public sealed class PostgresRestoreParametersValidator : AbstractValidator<PostgresRestoreParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresRestoreParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.File).NotEmpty().Matches(ParameterRules.FileNamePattern).WithMessage("file is a file name in the backup folder, without any '/'.");
        RuleFor(p => p.Tables).Must(t => t is null || t.Count <= 100).WithMessage("At most 100 tables.");
        RuleForEach(p => p.Tables).TableName();
    }
}
