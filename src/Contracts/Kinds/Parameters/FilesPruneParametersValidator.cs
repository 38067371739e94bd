using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="FilesPruneParameters"/>.</summary>
public sealed class FilesPruneParametersValidator : AbstractValidator<FilesPruneParameters>
{
    /// <summary>Creates the rules.</summary>
    public FilesPruneParametersValidator()
    {
        RuleFor(p => p.Directory).AbsolutePath();
        RuleFor(p => p.Pattern).NotEmpty().MaximumLength(200)
            .Must(p => !p.Contains('/', StringComparison.Ordinal) && p != "." && p != "..")
            .WithMessage("pattern is a file-name glob without '/'.");
        RuleFor(p => p.OlderThanDays).InclusiveBetween(1, 36_500);
    }
}
