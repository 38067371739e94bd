namespace Ops.Agent.Postgres;

/// <summary>
/// Quoting of identifiers for SQL text that cannot take parameters (VACUUM, REINDEX, DELETE's
/// table): every part is double-quoted with embedded <c>"</c> doubled, so a name is always data.
/// Names are exact and case-sensitive (<c>manalytics.Users</c> is <c>"manalytics"."Users"</c>).
/// </summary>
internal static class PostgresIdentifiers
{
    /// <summary>Quotes one identifier: <c>user_sessions</c> → <c>"user_sessions"</c>.</summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Quotes a table name, optionally schema-qualified: <c>manalytics.tournaments</c> → <c>"manalytics"."tournaments"</c>.</summary>
    public static string QuoteTable(string table)
    {
        var (schema, name) = Split(table);
        return schema is null ? Quote(name) : Quote(schema) + "." + Quote(name);
    }

    /// <summary>Splits <c>schema.table</c> at its dot; the schema is null for an unqualified name.</summary>
    public static (string? Schema, string Name) Split(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (null, table) : (table[..dot], table[(dot + 1)..]);
    }
}
