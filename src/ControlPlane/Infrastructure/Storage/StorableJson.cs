using System.Text.Json;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// What PostgreSQL <c>jsonb</c> refuses in otherwise valid JSON (RFC 8259): the character U+0000
/// in a string or a property name (SQLSTATE 22P05), a lone UTF-16 surrogate (22P02), and a
/// number outside the range of <c>numeric</c> (22003). Checked on the parsed document, so an
/// escaped backslash followed by <c>u0000</c> (the six characters, not NUL) is fine.
/// </summary>
internal static class StorableJson
{
    /// <summary>A short reason why <paramref name="element"/> cannot be stored, or <c>null</c> when it can.</summary>
    public static string? Problem(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if ((TextProblem(property.Name) ?? Problem(property.Value)) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Problem(item) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.String:
                try
                {
                    return TextProblem(element.GetString());
                }
                catch (InvalidOperationException)
                {
                    return "contains a lone UTF-16 surrogate (PostgreSQL cannot store it)";
                }

            case JsonValueKind.Number:
                return element.TryGetDouble(out var number) && double.IsFinite(number)
                    ? null
                    : $"contains the number {Shorten(element.GetRawText())}, outside the range PostgreSQL stores";
            default:
                return null;
        }
    }

    private static string? TextProblem(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "contains the character U+0000 (PostgreSQL jsonb cannot store it)";
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])))
            {
                return "contains a lone UTF-16 surrogate (PostgreSQL cannot store it)";
            }

            if (char.IsHighSurrogate(text[i]))
            {
                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return "contains a lone UTF-16 surrogate (PostgreSQL cannot store it)";
            }
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 32 ? text : text[..32] + "…";
}
