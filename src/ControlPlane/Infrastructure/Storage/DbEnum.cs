using System.Text.Json;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>Enum ↔ lower snake case text, as stored in the database and shown on the API (<c>TimedOut</c> ↔ <c>timed_out</c>).</summary>
internal static class DbEnum
{
    public static string ToText<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public static T Parse<T>(string text) where T : struct, Enum =>
        Enum.Parse<T>(text.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true);

    /// <summary>Parses API input (<c>timed_out</c>); false for anything else, including numbers.</summary>
    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        value = default;
        if (string.IsNullOrEmpty(text) || !Enum.GetValues<T>().Any(v => ToText(v) == text))
        {
            return false;
        }

        value = Parse<T>(text);
        return true;
    }
}
