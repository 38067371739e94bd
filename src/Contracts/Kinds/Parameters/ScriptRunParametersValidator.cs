using System.Text.Json;
using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="ScriptRunParameters"/>: a policy name and scalar arguments; their types are the agent's to check.</summary>
public sealed class ScriptRunParametersValidator : AbstractValidator<ScriptRunParameters>
{
    /// <summary>Creates the rules.</summary>
    public ScriptRunParametersValidator()
    {
        RuleFor(p => p.Script).PolicyName();
        RuleFor(p => p.Arguments)
            .Must(a => a is null || a.Count <= 50).WithMessage("At most 50 arguments.")
            .Must(a => a is null || a.All(p => System.Text.RegularExpressions.Regex.IsMatch(p.Key, "^[A-Za-z][A-Za-z0-9_-]{0,63}$")))
            .WithMessage("Argument names are 1–64 letters, digits, '_' or '-'.")
            .Must(a => a is null || a.Values.All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
            .WithMessage("Argument values are strings, numbers or booleans.")
            .Must(a => a is null || a.Values.All(v => v.ValueKind != JsonValueKind.String || v.GetString()!.Length <= 4096))
            .WithMessage("Argument strings are at most 4096 characters.");
    }
}
