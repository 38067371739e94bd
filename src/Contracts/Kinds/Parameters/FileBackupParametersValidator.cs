using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="FileBackupParameters"/>.</summary>
public sealed class FileBackupParametersValidator : AbstractValidator<FileBackupParameters>
{
    /// <summary>Creates the rules.</summary>
    public FileBackupParametersValidator() => RuleFor(p => p.Path).AbsolutePath();
}
