using System.Text.Json;
using System.Text.Json.Nodes;
using Ops.Agent.Json;

namespace Ops.Agent.Redaction;

/// <summary>
/// Redacts a JSON document value by value, so the result stays valid JSON: every string value
/// goes through <see cref="IRedactor.Redact"/>, and a string member whose name looks like a
/// credential (<c>password</c>, <c>secret</c>, <c>token</c>, <c>apiKey</c>…) becomes <c>[REDACTED]</c>.
/// </summary>
internal static class JsonRedaction
{
    private static readonly string[] CredentialNames = ["password", "passwd", "secret", "token", "apikey", "api_key"];

    /// <summary>Redacts <paramref name="json"/>; text that is not JSON is redacted as plain text.</summary>
    public static string Redact(IRedactor redactor, string json)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        if (string.IsNullOrEmpty(json))
        {
            return json;
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return redactor.Redact(json);
        }

        switch (node)
        {
            case null:
                return json;
            case JsonValue:
                return Redacted(redactor, node, null)?.ToJsonString(AgentJsonContext.Default.Options) ?? json;
            default:
                Visit(redactor, node);
                return node.ToJsonString(AgentJsonContext.Default.Options);
        }
    }

    /// <summary>Redacts the strings under an object or array in place.</summary>
    private static void Visit(IRedactor redactor, JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Select(p => p.Key).ToList())
            {
                if (obj[key] is { } child && Redacted(redactor, child, key) is { } replacement)
                {
                    obj[key] = replacement;
                }
                else if (obj[key] is JsonObject or JsonArray)
                {
                    Visit(redactor, obj[key]!);
                }
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is { } child && Redacted(redactor, child, null) is { } replacement)
                {
                    array[i] = replacement;
                }
                else if (array[i] is JsonObject or JsonArray)
                {
                    Visit(redactor, array[i]!);
                }
            }
        }
    }

    /// <summary>A replacement for a string value that needs redaction, or null to keep the node.</summary>
    private static JsonValue? Redacted(IRedactor redactor, JsonNode node, string? name)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        if (name is not null && CredentialNames.Any(c => name.EndsWith(c, StringComparison.OrdinalIgnoreCase)))
        {
            return JsonValue.Create(Redactor.Marker);
        }

        var text = value.GetValue<string>();
        var redacted = redactor.Redact(text);
        return text == redacted ? null : JsonValue.Create(redacted);
    }
}
