using System.Text.Json;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary><c>jsonb</c> text read from the database as a <see cref="JsonElement"/> that owns its memory (the parsed document is disposed).</summary>
internal static class DbJson
{
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
