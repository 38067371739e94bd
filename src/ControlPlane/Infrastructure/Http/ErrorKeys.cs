namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Turns validator property paths and System.Text.Json paths into the API's camelCase field paths.</summary>
internal static class ErrorKeys
{
    /// <summary><c>Target.AgentIds[0]</c> → <c>target.agentIds[0]</c>; <c>$.target.all</c> → <c>target.all</c>; empty → <c>body</c>.</summary>
    public static string ToJsonPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        if (path.StartsWith("$.", StringComparison.Ordinal))
        {
            path = path[2..];
        }
        else if (path.StartsWith('$'))
        {
            path = path[1..];
        }

        return string.Join('.', path.Split('.').Select(s => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..]));
    }
}
