using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ops.ControlPlane.Features.Locks;

/// <summary>
/// Lock keys (DESIGN.md §11): explicit keys such as <c>pg:demo</c> or <c>deploy:web</c>, and the
/// implicit <c>postgres:&lt;agentId&gt;:&lt;database&gt;</c> that every kind changing a database takes
/// on each of its agents, so two of them never run on one database at once.
/// </summary>
internal static partial class LockKeys
{
    /// <summary>Most keys on one operation or runbook.</summary>
    public const int MaxKeys = 20;

    /// <summary>Longest lock wait, in seconds (one week).</summary>
    public const int MaxTimeoutSeconds = 604_800;

    /// <summary>Lock wait when none is given: one hour (DESIGN.md §11).</summary>
    public const int DefaultTimeoutSeconds = 3600;

    /// <summary>The kinds that change a database (DESIGN.md §11).</summary>
    public static IReadOnlySet<string> DatabaseKinds { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "postgres.backup", "postgres.verify-backup", "postgres.vacuum", "postgres.reindex", "postgres.restore", "postgres.purge",
    };

    /// <summary>Every problem of <paramref name="keys"/>: at most <see cref="MaxKeys"/>, each 1–200 printable characters without spaces.</summary>
    public static IEnumerable<(string Field, string Message)> Validate(IReadOnlyList<string?> keys, string prefix)
    {
        if (keys.Count > MaxKeys)
        {
            yield return (prefix, $"At most {MaxKeys} lock keys.");
            yield break;
        }

        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] is not { } key || !KeyPattern().IsMatch(key))
            {
                yield return ($"{prefix}[{i}]", "A lock key is 1–200 characters: letters, digits and . _ : / - (e.g. pg:demo).");
            }
        }
    }

    /// <summary>A valid key after templating (<c>deploy:${params.service}</c> resolved).</summary>
    public static bool IsValid(string key) => KeyPattern().IsMatch(key);

    /// <summary>The implicit keys of <paramref name="kind"/> with <paramref name="parameters"/> on <paramref name="agentIds"/>; empty for kinds that do not change a database.</summary>
    public static IEnumerable<string> Implicit(string kind, JsonElement? parameters, IEnumerable<Guid> agentIds) =>
        ImplicitDatabase(kind, parameters) is { } name ? agentIds.Select(a => $"postgres:{a}:{name}") : [];

    /// <summary>
    /// The database an operation of <paramref name="kind"/> with <paramref name="parameters"/> takes
    /// an implicit lock on (one key per agent, <see cref="Implicit"/>), or <c>null</c> when it takes none.
    /// </summary>
    public static string? ImplicitDatabase(string kind, JsonElement? parameters) =>
        DatabaseKinds.Contains(kind)
        && parameters is { ValueKind: JsonValueKind.Object } p
        && p.TryGetProperty("database", out var database)
        && database.ValueKind == JsonValueKind.String
            ? database.GetString()
            : null;

    [GeneratedRegex("^[A-Za-z0-9._:/-]{1,200}$")]
    private static partial Regex KeyPattern();
}
