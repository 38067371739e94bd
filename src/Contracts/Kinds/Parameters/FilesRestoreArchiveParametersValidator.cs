using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="FilesRestoreArchiveParameters"/>: a bare <c>.tar.gz</c> file name and an absolute path.</summary>
public sealed class FilesRestoreArchiveParametersValidator : AbstractValidator<FilesRestoreArchiveParameters>
{
    /// <summary>Creates the rules.</summary>
    public FilesRestoreArchiveParametersValidator()
    {
        RuleFor(p => p.File).NotEmpty().Matches(ParameterRules.FileNamePattern)
            .WithMessage("'{PropertyValue}' is not a file name of the archive folder (no '/').")
            .Must(f => f is null || f.EndsWith(".tar.gz", StringComparison.Ordinal)).WithMessage("'{PropertyValue}' is not a .tar.gz archive.");
        RuleFor(p => p.Path).AbsolutePath();
    }
}
