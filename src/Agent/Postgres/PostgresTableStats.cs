using Npgsql;

namespace Ops.Agent.Postgres;

/// <summary>
/// Live and dead tuples of user tables from <c>pg_stat_user_tables</c> (the counters of seed 004
/// §4.2), read in a fresh statistics snapshot so a VACUUM that just finished is seen.
/// </summary>
internal static class PostgresTableStats
{
    /// <summary>The counters of every user table, keyed by <c>schema.table</c>.</summary>
    public static async Task<Dictionary<string, (long Live, long Dead)>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        const string sql = """
            SELECT schemaname, relname, n_live_tup, n_dead_tup
            FROM pg_stat_user_tables
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetString(0) + "." + reader.GetString(1)] = (reader.GetInt64(2), reader.GetInt64(3));
        }

        return result;
    }

    /// <summary>
    /// Resolves <paramref name="table"/> (schema-qualified or found on the search path) to
    /// <c>schema.table</c>; null when no such table exists.
    /// </summary>
    public static async Task<string?> ResolveAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT n.nspname || '.' || c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'm')
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(PostgresIdentifiers.QuoteTable(table));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
