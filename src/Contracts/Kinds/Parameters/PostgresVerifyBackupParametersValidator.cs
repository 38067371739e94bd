using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresVerifyBackupParameters"/>.</summary>
public sealed class PostgresVerifyBackupParametersValidator : AbstractValidator<PostgresVerifyBackupParameters>
{
    /// <summary>Creates the rules.</summary>
    public PostgresVerifyBackupParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleFor(p => p.File).Matches(ParameterRules.FileNamePattern).WithMessage("file is a file name in the backup folder, without any '/'.");
    }
}
