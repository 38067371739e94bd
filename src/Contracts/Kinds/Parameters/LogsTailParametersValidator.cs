using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="LogsTailParameters"/>.</summary>
public sealed class LogsTailParametersValidator : AbstractValidator<LogsTailParameters>
{
    /// <summary>Creates the rules.</summary>
    public LogsTailParametersValidator()
    {
        RuleFor(p => p.Path).AbsolutePath();
        RuleFor(p => p.Lines).InclusiveBetween(1, 10_000);
        RuleFor(p => p.Pattern).ValidRegex();
    }
}
