using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ops.Agent.Policy;

/// <summary>
/// Checks <c>script.run</c> arguments against a <see cref="ScriptPolicy"/> and substitutes them
/// into its argv template (see <see cref="ScriptPolicy.Argv"/>). Every value becomes exactly one
/// argv entry, whatever characters it holds: no shell ever sees it.
/// </summary>
internal static partial class ScriptCommandBuilder
{
    /// <summary>The argument types.</summary>
    public static readonly IReadOnlyList<string> Types = ["enum", "integer", "flag", "pattern"];

    /// <summary>Time allowed to a <c>pattern</c> match.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The argument name of a template element that is exactly <c>{name}</c>, else null.</summary>
    public static string? PlaceholderName(string element)
    {
        ArgumentNullException.ThrowIfNull(element);
        var match = Placeholder().Match(element);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>Builds the command, or explains the refusal.</summary>
    /// <param name="name">The script's name (for messages).</param>
    /// <param name="script">Its policy (already validated at start).</param>
    /// <param name="arguments">The job's arguments (strings, numbers, booleans).</param>
    /// <param name="command">The command when allowed.</param>
    /// <param name="error">Every problem, joined by "; ", when refused.</param>
    /// <returns>True when allowed.</returns>
    public static bool TryBuild(
        string name,
        ScriptPolicy script,
        IReadOnlyDictionary<string, JsonElement>? arguments,
        out ScriptCommand? command,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(script);
        command = null;
        var errors = new List<string>();
        var given = arguments ?? new Dictionary<string, JsonElement>();
        foreach (var key in given.Keys.Where(k => !script.Arguments.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            var known = script.Arguments.Count == 0 ? "none" : string.Join(", ", script.Arguments.Keys.Order(StringComparer.Ordinal));
            errors.Add($"script '{name}' has no argument '{key}' (known: {known})");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (argumentName, policy) in script.Arguments)
        {
            string? value;
            if (given.TryGetValue(argumentName, out var element))
            {
                value = Check(argumentName, policy, element, errors);
            }
            else if (policy.Default is { } fallback)
            {
                value = CheckText(argumentName, policy, fallback, errors);
            }
            else
            {
                if (policy.Required)
                {
                    errors.Add($"argument '{argumentName}' is required");
                }

                continue;
            }

            if (value is not null)
            {
                values[argumentName] = value;
            }
        }

        if (errors.Count > 0)
        {
            error = string.Join("; ", errors);
            return false;
        }

        var template = script.Argv ?? [];
        var argv = new List<(string Text, int TemplateIndex, bool Literal)>();
        for (var i = 1; i < template.Length; i++)
        {
            if (PlaceholderName(template[i]) is not { } placeholder)
            {
                argv.Add((template[i], i, true));
                continue;
            }

            var policy = script.Arguments[placeholder];
            var present = values.TryGetValue(placeholder, out var value);
            var isFlag = string.Equals(policy.Type, "flag", StringComparison.OrdinalIgnoreCase);
            if (present && (!isFlag || value == "true"))
            {
                argv.Add((isFlag ? policy.Flag! : value!, i, false));
            }
            else if (argv.Count > 0 && argv[^1] is { Literal: true } option && option.TemplateIndex == i - 1 && option.Text.StartsWith('-'))
            {
                argv.RemoveAt(argv.Count - 1); // "--days", "{days}": the option goes with its absent value
            }
        }

        command = new ScriptCommand(template[0], argv.Select(a => a.Text).ToList(), values);
        error = string.Empty;
        return true;
    }

    private static string? Check(string name, ScriptArgumentPolicy policy, JsonElement element, List<string> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return CheckText(name, policy, element.GetString()!, errors);
            case JsonValueKind.Number when string.Equals(policy.Type, "integer", StringComparison.OrdinalIgnoreCase):
                if (!element.TryGetInt64(out var number))
                {
                    errors.Add($"argument '{name}' must be an integer{Range(policy)} (was {element.GetRawText()})");
                    return null;
                }

                return CheckText(name, policy, number.ToString(CultureInfo.InvariantCulture), errors);
            case JsonValueKind.True or JsonValueKind.False when string.Equals(policy.Type, "flag", StringComparison.OrdinalIgnoreCase):
                return element.ValueKind == JsonValueKind.True ? "true" : "false";
            default:
                errors.Add($"argument '{name}' must be {Describe(policy)} (was {element.GetRawText()})");
                return null;
        }
    }

    private static string? CheckText(string name, ScriptArgumentPolicy policy, string text, List<string> errors)
    {
        switch (policy.Type.ToLowerInvariant())
        {
            case "enum":
                if (policy.Values is { } allowed && allowed.Contains(text, StringComparer.Ordinal))
                {
                    return text;
                }

                errors.Add($"argument '{name}' must be {Describe(policy)} (was '{text}')");
                return null;
            case "integer":
                if (IntegerText().IsMatch(text)
                    && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                    && (policy.Min is not { } min || number >= min)
                    && (policy.Max is not { } max || number <= max))
                {
                    return number.ToString(CultureInfo.InvariantCulture);
                }

                errors.Add($"argument '{name}' must be {Describe(policy)} (was '{text}')");
                return null;
            case "flag":
                if (text is "true" or "false")
                {
                    return text;
                }

                errors.Add($"argument '{name}' must be {Describe(policy)} (was '{text}')");
                return null;
            case "pattern":
                try
                {
                    if (Regex.IsMatch(text, "^(?:" + policy.Pattern + ")$", RegexOptions.CultureInvariant, MatchTimeout))
                    {
                        return text;
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    // Reported below.
                }

                errors.Add($"argument '{name}' must be {Describe(policy)} (was '{text}')");
                return null;
            default:
                errors.Add($"argument '{name}' has an unknown type '{policy.Type}' in the policy");
                return null;
        }
    }

    private static string Describe(ScriptArgumentPolicy policy) => policy.Type.ToLowerInvariant() switch
    {
        "enum" => "one of " + string.Join(", ", policy.Values ?? []),
        "integer" => "an integer" + Range(policy),
        "flag" => "true or false",
        "pattern" => $"a string matching {policy.Pattern}",
        _ => policy.Type,
    };

    private static string Range(ScriptArgumentPolicy policy) => (policy.Min, policy.Max) switch
    {
        ({ } min, { } max) => $" between {min} and {max}",
        ({ } min, null) => $" of at least {min}",
        (null, { } max) => $" of at most {max}",
        _ => string.Empty,
    };

    [GeneratedRegex(@"^\{([A-Za-z][A-Za-z0-9_-]{0,63})\}$")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^-?[0-9]{1,18}$")]
    private static partial Regex IntegerText();
}
