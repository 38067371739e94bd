using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Ops.Agent.Policy;

/// <summary>
/// Validates <see cref="PolicyOptions"/> at start and reports every problem with its key: path
/// roots absolute; each script with a non-empty argv, placeholders that are whole elements naming
/// declared arguments, an absolute working directory, a positive timeout, and arguments of a known
/// type with what that type needs (enum values, Min ≤ Max, a flag's argv entry, a pattern that
/// compiles, a default that passes its own check).
/// </summary>
internal sealed partial class PolicyOptionsValidator : IValidateOptions<PolicyOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string Prefix = PolicyOptions.SectionName + ":";
        CheckRoots(options.Paths.Read, Prefix + "Paths:Read", errors);
        CheckRoots(options.Paths.Write, Prefix + "Paths:Write", errors);

        foreach (var (scriptName, script) in options.Scripts)
        {
            var key = $"{Prefix}Scripts:{scriptName}";
            if (!ScriptName().IsMatch(scriptName))
            {
                errors.Add($"{key}: a script name is 1–128 letters, digits, '.', '_' or '-'.");
            }

            if (script.Argv is not { Length: > 0 } argv || string.IsNullOrWhiteSpace(argv[0]))
            {
                errors.Add($"{key}:Argv must name the program first.");
                continue;
            }

            if (ScriptCommandBuilder.PlaceholderName(argv[0]) is not null)
            {
                errors.Add($"{key}:Argv: the program cannot be a placeholder.");
            }

            for (var i = 1; i < argv.Length; i++)
            {
                if (ScriptCommandBuilder.PlaceholderName(argv[i]) is { } placeholder)
                {
                    if (!script.Arguments.ContainsKey(placeholder))
                    {
                        errors.Add($"{key}:Argv:{i}: '{{{placeholder}}}' names no declared argument.");
                    }
                }
                else if (EmbeddedPlaceholder().IsMatch(argv[i]))
                {
                    errors.Add($"{key}:Argv:{i}: '{argv[i]}': a placeholder must be a whole argv element such as \"{{name}}\".");
                }
            }

            if (script.WorkingDirectory is { } directory && !Path.IsPathRooted(directory))
            {
                errors.Add($"{key}:WorkingDirectory '{directory}' must be an absolute path.");
            }

            if (script.TimeoutSeconds is <= 0)
            {
                errors.Add($"{key}:TimeoutSeconds must be positive.");
            }

            foreach (var (argumentName, argument) in script.Arguments)
            {
                CheckArgument($"{key}:Arguments:{argumentName}", scriptName, argumentName, argument, errors);
            }
        }

        IntegrationPolicyValidator.Validate(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckRoots(string[]? roots, string key, List<string> errors)
    {
        foreach (var root in roots ?? [])
        {
            if (string.IsNullOrWhiteSpace(root) || !root.StartsWith('/'))
            {
                errors.Add($"{key}: '{root}' must be an absolute path.");
            }
        }
    }

    private static void CheckArgument(string key, string scriptName, string argumentName, ScriptArgumentPolicy argument, List<string> errors)
    {
        if (!ArgumentName().IsMatch(argumentName))
        {
            errors.Add($"{key}: an argument name is 1–64 letters, digits, '_' or '-', starting with a letter.");
        }

        switch (argument.Type.ToLowerInvariant())
        {
            case "enum" when argument.Values is not { Length: > 0 }:
                errors.Add($"{key}: an enum needs Values.");
                break;
            case "integer" when argument.Min is { } min && argument.Max is { } max && min > max:
                errors.Add($"{key}: Min {min} is greater than Max {max}.");
                break;
            case "flag" when string.IsNullOrWhiteSpace(argument.Flag):
                errors.Add($"{key}: a flag needs Flag, the argv entry added when true (e.g. \"--debug\").");
                break;
            case "pattern" when string.IsNullOrEmpty(argument.Pattern):
                errors.Add($"{key}: a pattern needs Pattern.");
                break;
            case "pattern":
                try
                {
                    _ = new Regex(argument.Pattern!, RegexOptions.None, ScriptCommandBuilder.MatchTimeout);
                }
                catch (ArgumentException ex)
                {
                    errors.Add($"{key}: Pattern is not a valid regular expression: {ex.Message}");
                }

                break;
            case "enum" or "integer" or "flag":
                break;
            default:
                errors.Add($"{key}: Type '{argument.Type}' is not one of {string.Join(", ", ScriptCommandBuilder.Types)}.");
                return;
        }

        if (argument.Default is { } fallback)
        {
            var probe = new ScriptPolicy { Argv = ["x"], Arguments = new(StringComparer.Ordinal) { [argumentName] = argument } };
            if (!ScriptCommandBuilder.TryBuild(scriptName, probe, null, out _, out var error))
            {
                errors.Add($"{key}: Default '{fallback}' is invalid: {error}");
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex ScriptName();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex ArgumentName();

    [GeneratedRegex(@"\{[A-Za-z][A-Za-z0-9_-]*\}")]
    private static partial Regex EmbeddedPlaceholder();
}
