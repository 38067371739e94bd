using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// References in a rule's remediation <c>parameters</c>, with the runbooks' rule (DESIGN.md §12):
/// a string that is exactly <c>"${alert.value}"</c> becomes the referenced JSON value (typed: a
/// number stays a number); inside a longer string it is interpolated as text. Names:
/// <c>alert.id</c>, <c>alert.rule</c>, <c>alert.agentId</c>, <c>alert.hostname</c>,
/// <c>alert.mount</c>, <c>alert.schedule</c>, <c>alert.value</c>, <c>alert.severity</c>. Nothing
/// else is evaluated.
/// </summary>
internal static partial class AlertParameters
{
    public static IReadOnlyList<string> Names { get; } =
        ["alert.id", "alert.rule", "alert.agentId", "alert.hostname", "alert.mount", "alert.schedule", "alert.value", "alert.severity"];

    /// <summary>Adds an error under <c>parameters.&lt;path&gt;</c> for every unknown reference.</summary>
    public static void Validate(JsonElement parameters, IDictionary<string, string[]> errors)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            errors["parameters"] = ["parameters must be a JSON object."];
            return;
        }

        Walk(parameters, "parameters", errors);
    }

    private static void Walk(JsonElement element, string path, IDictionary<string, string[]> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, $"{path}.{property.Name}", errors);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}[{i++}]", errors);
                }

                break;
            case JsonValueKind.String:
                var unknown = Reference().Matches(element.GetString()!).Select(m => m.Groups[1].Value).Where(n => !Names.Contains(n)).ToList();
                if (unknown.Count > 0)
                {
                    errors[path] = [$"Unknown reference(s) {string.Join(", ", unknown.Select(u => $"${{{u}}}"))}. Known: {string.Join(", ", Names.Select(n => $"${{{n}}}"))}."];
                }

                break;
        }
    }

    /// <summary>The parameters with every reference replaced from <paramref name="values"/> (a missing value is JSON null, or empty text).</summary>
    public static JsonNode? Resolve(JsonElement parameters, IReadOnlyDictionary<string, JsonNode?> values) => parameters.ValueKind switch
    {
        JsonValueKind.Object => new JsonObject(parameters.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, Resolve(p.Value, values)))),
        JsonValueKind.Array => new JsonArray(parameters.EnumerateArray().Select(e => Resolve(e, values)).ToArray()),
        JsonValueKind.String => ResolveString(parameters.GetString()!, values),
        _ => JsonNode.Parse(parameters.GetRawText()),
    };

    private static JsonNode? ResolveString(string text, IReadOnlyDictionary<string, JsonNode?> values)
    {
        var whole = Reference().Match(text);
        if (whole.Success && whole.Index == 0 && whole.Length == text.Length)
        {
            return values.TryGetValue(whole.Groups[1].Value, out var value) ? value?.DeepClone() : null;
        }

        return JsonValue.Create(Reference().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) && v is not null
            ? v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()
            : ""));
    }

    [GeneratedRegex(@"\$\{([^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
