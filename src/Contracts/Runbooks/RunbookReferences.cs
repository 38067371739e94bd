using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// Substitutes <c>${…}</c> references in a JSON value (DESIGN.md §12): a string that is exactly one
/// reference becomes the referenced JSON value, typed (a number stays a number); inside a longer
/// string a reference is interpolated as text. Nothing else is evaluated: no code, no shell.
/// </summary>
public static partial class RunbookReferences
{
    /// <summary>Resolves one reference to a value, or explains why it cannot.</summary>
    /// <param name="reference">The parsed reference.</param>
    /// <param name="value">The value (may be JSON null).</param>
    /// <param name="error">Why it cannot be resolved, when the method returns false.</param>
    /// <param name="placeholder">True when <paramref name="value"/> stands in for a value known only at run time.</param>
    public delegate bool Resolver(RunbookReference reference, out JsonNode? value, out string? error, out bool placeholder);

    /// <summary>The references in <paramref name="text"/>.</summary>
    public static IEnumerable<RunbookReference> In(string text) =>
        ReferencePattern().Matches(text).Select(m => RunbookReference.Parse(m.Groups[1].Value));

    /// <summary>
    /// A copy of <paramref name="element"/> with every reference substituted. Errors are added
    /// under the value's path (<paramref name="path"/><c>.file</c>); paths whose value came from a
    /// placeholder are added to <paramref name="placeholders"/>.
    /// </summary>
    public static JsonNode? Substitute(JsonElement element, string path, Resolver resolver, IDictionary<string, string[]> errors, ISet<string>? placeholders = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(errors);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    obj[property.Name] = Substitute(property.Value, $"{path}.{property.Name}", resolver, errors, placeholders);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(Substitute(item, $"{path}[{index++}]", resolver, errors, placeholders));
                }

                return array;
            case JsonValueKind.String:
                return SubstituteString(element.GetString()!, path, resolver, errors, placeholders);
            default:
                return JsonNode.Parse(element.GetRawText());
        }
    }

    private static JsonNode? SubstituteString(string text, string path, Resolver resolver, IDictionary<string, string[]> errors, ISet<string>? placeholders)
    {
        var matches = ReferencePattern().Matches(text);
        if (matches.Count == 0)
        {
            return JsonValue.Create(text);
        }

        var problems = new List<string>();
        if (matches.Count == 1 && matches[0].Length == text.Length)
        {
            var reference = RunbookReference.Parse(matches[0].Groups[1].Value);
            if (!resolver(reference, out var value, out var error, out var placeholder))
            {
                Add(errors, path, error!);
                return JsonValue.Create(string.Empty);
            }

            if (placeholder)
            {
                placeholders?.Add(path);
            }

            return value?.DeepClone();
        }

        var result = new System.Text.StringBuilder();
        var last = 0;
        var anyPlaceholder = false;
        foreach (Match match in matches)
        {
            result.Append(text, last, match.Index - last);
            last = match.Index + match.Length;
            var reference = RunbookReference.Parse(match.Groups[1].Value);
            if (!resolver(reference, out var value, out var error, out var placeholder))
            {
                problems.Add(error!);
                continue;
            }

            anyPlaceholder |= placeholder;
            result.Append(value switch
            {
                null => string.Empty,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => value.ToJsonString(),
            });
        }

        result.Append(text, last, text.Length - last);
        foreach (var problem in problems)
        {
            Add(errors, path, problem);
        }

        if (anyPlaceholder)
        {
            placeholders?.Add(path);
        }

        return JsonValue.Create(result.ToString());
    }

    private static void Add(IDictionary<string, string[]> errors, string path, string message) =>
        errors[path] = errors.TryGetValue(path, out var existing) ? [.. existing, message] : [message];

    /// <summary>A string that contains a reference.</summary>
    public static bool HasReference(string text) => ReferencePattern().IsMatch(text);

    [GeneratedRegex("\\$\\{([^{}]*)\\}")]
    private static partial Regex ReferencePattern();
}
