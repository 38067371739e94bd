using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="FilesArchiveParameters"/>: an absolute path, a file-name-safe name, bounded retention and excludes.</summary>
public sealed class FilesArchiveParametersValidator : AbstractValidator<FilesArchiveParameters>
{
    /// <summary>Creates the rules.</summary>
    public FilesArchiveParametersValidator()
    {
        RuleFor(p => p.Path).AbsolutePath();
        RuleFor(p => p.Name).MaximumLength(100).Matches(ParameterRules.NamePattern)
            .WithMessage("'{PropertyName}' must be 1–100 letters, digits, '_', '.', '-', starting with a letter or digit.");
        RuleFor(p => p.RetentionDays).InclusiveBetween(1, 3650);
        RuleFor(p => p.Exclude).Must(e => e is null || e.Count <= 100).WithMessage("exclude: at most 100 globs.");
        RuleForEach(p => p.Exclude).NotEmpty().MaximumLength(512)
            .Must(g => g is null || (!g.StartsWith('/') && !g.Contains('\0', StringComparison.Ordinal)))
            .WithMessage("an exclude glob is relative to the directory (no leading '/').");
    }
}
