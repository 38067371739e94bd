using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// A runbook's typed run parameters (DESIGN.md §12): the JSON Schema subset <c>type</c> (string,
/// integer, number, boolean), <c>enum</c>, <c>pattern</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>default</c>, <c>description</c>, and the document's <c>required</c> list. Validates a run's
/// values (every error, under <c>parameters.&lt;name&gt;</c>) and publishes the JSON Schema.
/// </summary>
public static class RunParameters
{
    /// <summary>The types of the subset.</summary>
    public static IReadOnlyList<string> Types { get; } = ["string", "integer", "number", "boolean"];

    /// <summary>
    /// The run's values with defaults applied, or the errors: unknown names, missing required
    /// values, wrong types, values outside <c>enum</c>, <c>pattern</c> or the bounds.
    /// </summary>
    public static (IReadOnlyDictionary<string, JsonElement> Values, IReadOnlyDictionary<string, string[]> Errors) Validate(RunbookDocument document, JsonElement? given)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var declared = document.Parameters ?? new Dictionary<string, RunbookParameter>();
        var input = given is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } g ? g : JsonDocument.Parse("{}").RootElement;
        if (input.ValueKind != JsonValueKind.Object)
        {
            errors["parameters"] = ["Parameters must be a JSON object."];
            return (values, errors);
        }

        foreach (var property in input.EnumerateObject())
        {
            if (!declared.TryGetValue(property.Name, out var parameter))
            {
                errors[$"parameters.{property.Name}"] = [$"Unknown parameter. This runbook declares: {(declared.Count == 0 ? "none" : string.Join(", ", declared.Keys))}."];
                continue;
            }

            if (Check(property.Value, parameter) is { } error)
            {
                errors[$"parameters.{property.Name}"] = [error];
                continue;
            }

            values[property.Name] = property.Value.Clone();
        }

        foreach (var (name, parameter) in declared)
        {
            if (values.ContainsKey(name) || errors.ContainsKey($"parameters.{name}"))
            {
                continue;
            }

            if (parameter.Default is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } fallback)
            {
                values[name] = fallback.Clone();
            }
            else if (document.Required?.Contains(name) == true)
            {
                errors[$"parameters.{name}"] = ["Required parameter is missing."];
            }
        }

        return (values, errors);
    }

    /// <summary>Why <paramref name="value"/> does not fit <paramref name="parameter"/>, or <c>null</c>.</summary>
    public static string? Check(JsonElement value, RunbookParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var typeOk = parameter.Type switch
        {
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ => false,
        };
        if (!typeOk)
        {
            return $"Expected {(parameter.Type is "integer" ? "an" : "a")} {parameter.Type}.";
        }

        if (parameter.Enum is { Count: > 0 } allowed && !allowed.Any(a => JsonElement.DeepEquals(a, value)))
        {
            return $"Must be one of {string.Join(", ", allowed.Select(a => a.GetRawText()))}.";
        }

        if (parameter.Pattern is { } pattern && value.ValueKind == JsonValueKind.String)
        {
            try
            {
                if (!Regex.IsMatch(value.GetString()!, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100)))
                {
                    return $"Must match the pattern {pattern}.";
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return $"Could not be checked against the pattern {pattern} in time.";
            }
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            var number = value.GetDouble();
            if (parameter.Minimum is { } min && number < min)
            {
                return $"Must be at least {min}.";
            }

            if (parameter.Maximum is { } max && number > max)
            {
                return $"Must be at most {max}.";
            }
        }

        return null;
    }

    /// <summary>The JSON Schema (draft 2020-12 vocabulary) of a run's <c>parameters</c>, as published by <c>GET /api/v1/runbooks/{name}</c>.</summary>
    public static JsonObject Schema(RunbookDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var properties = new JsonObject();
        foreach (var (name, p) in document.Parameters ?? new Dictionary<string, RunbookParameter>())
        {
            var schema = new JsonObject { ["type"] = p.Type };
            if (p.Description is { } description)
            {
                schema["description"] = description;
            }

            if (p.Enum is { Count: > 0 } values)
            {
                schema["enum"] = new JsonArray(values.Select(v => JsonNode.Parse(v.GetRawText())).ToArray());
            }

            if (p.Pattern is { } pattern)
            {
                schema["pattern"] = pattern;
            }

            if (p.Minimum is { } min)
            {
                schema["minimum"] = min;
            }

            if (p.Maximum is { } max)
            {
                schema["maximum"] = max;
            }

            if (p.Default is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } fallback)
            {
                schema["default"] = JsonNode.Parse(fallback.GetRawText());
            }

            properties[name] = schema;
        }

        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray((document.Required ?? []).Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
            ["additionalProperties"] = false,
        };
    }
}
