using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.stats</c>: the seeds' monitoring queries on one policy database, per section
/// (default all):
/// <list type="bullet">
/// <item><c>size</c> — seed 000 "Taille de la base de données": <c>pg_database_size</c> → <c>{bytes, pretty}</c>;</item>
/// <item><c>connections</c> — seed 004 §1.2 <c>count(*), state FROM pg_stat_activity GROUP BY state</c>
///   (this database) → <c>{total, byState: {"active": n, "idle": n, …}}</c>;</item>
/// <item><c>tables</c> — seed 004 §4.2's fragmentation query without its <c>n_dead_tup &gt; 1000</c>
///   filter, most dead tuples first, at most 100 → <c>[{table, totalBytes, totalSize, liveTuples,
///   deadTuples, deadRatio (percent, 2 decimals, null when empty), lastVacuum, lastAutovacuum, lastAnalyze}]</c>;</item>
/// <item><c>slowQueries</c> — seed 000 / 004 top 10 by mean time from <c>pg_stat_statements</c>
///   → <c>{available, note, queries: [{query, calls, meanMs, maxMs, totalMs}]}</c>; when the
///   extension is not installed (or not preloaded) <c>available</c> is false and <c>note</c> says how to enable it;</item>
/// <item><c>replication</c> — seed 004 §1.2 lag: <c>{role: "primary"|"replica", lagSeconds (replica:
///   now − pg_last_xact_replay_timestamp()), replicas: [{applicationName, clientAddress, state,
///   replayLagSeconds}] (primary: pg_stat_replication)}</c>.</item>
/// </list>
/// Result: <c>{database, size, connections, tables, slowQueries, replication}</c>, sections not
/// asked for are null. A human summary goes to stdout.
/// </summary>
internal sealed class PostgresStatsExecutor(IConfiguration configuration) : IOperationExecutor
{
    /// <summary>Characters of each slow query's text kept in the result (10 queries stay far under the result limit).</summary>
    public const int MaxQueryLength = 2000;

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresStats.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresStatsParameters)job.Parameters;
        var sections = parameters.Sections is { Count: > 0 } s ? s.ToHashSet(StringComparer.Ordinal) : PostgresStatsParametersValidator.KnownSections.ToHashSet(StringComparer.Ordinal);
        try
        {
            var database = new PostgresPolicyLoader(configuration).Database(parameters.Database);
            await using var connection = await database.OpenAsync(cancellationToken);
            var output = job.Output;

            SizeStats? size = null;
            if (sections.Contains("size"))
            {
                await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database()), pg_size_pretty(pg_database_size(current_database()))", connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                size = new SizeStats(reader.GetInt64(0), reader.GetString(1));
                output.Stdout($"size: {size.Pretty} ({size.Bytes.ToString(CultureInfo.InvariantCulture)} bytes)");
            }

            ConnectionStats? connections = null;
            if (sections.Contains("connections"))
            {
                const string sql = """
                    SELECT coalesce(state, '(none)'), count(*)
                    FROM pg_stat_activity
                    WHERE datname = current_database()
                    GROUP BY 1
                    ORDER BY 2 DESC, 1
                    """;
                var byState = new SortedDictionary<string, long>(StringComparer.Ordinal);
                await using var command = new NpgsqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    byState[reader.GetString(0)] = reader.GetInt64(1);
                }

                connections = new ConnectionStats(byState.Values.Sum(), byState);
                output.Stdout("connections: " + string.Join(", ", byState.Select(p => $"{p.Key} {p.Value.ToString(CultureInfo.InvariantCulture)}")));
            }

            List<TableStats>? tables = null;
            if (sections.Contains("tables"))
            {
                tables = await ReadTablesAsync(connection, cancellationToken);
                output.Stdout("table                                     size        live        dead  dead%");
                foreach (var t in tables)
                {
                    output.Stdout(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{t.Table,-40} {t.TotalSize,10} {t.LiveTuples,11} {t.DeadTuples,11} {(t.DeadRatio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "-"),6}"));
                }
            }

            SlowQueryStats? slow = null;
            if (sections.Contains("slowQueries"))
            {
                slow = await ReadSlowQueriesAsync(connection, cancellationToken);
                if (slow.Note is { } note)
                {
                    output.System(note);
                }

                foreach (var q in slow.Queries)
                {
                    output.Stdout(string.Create(CultureInfo.InvariantCulture, $"{q.MeanMs,10:0.00} ms mean  {q.Calls,8} calls  {Shorten(q.Query)}"));
                }
            }

            ReplicationStats? replication = null;
            if (sections.Contains("replication"))
            {
                replication = await ReadReplicationAsync(connection, cancellationToken);
                output.Stdout(replication.Role == "replica"
                    ? $"replication: replica, lag {(replication.LagSeconds is { } lag ? lag.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "unknown (nothing replayed yet)")}"
                    : $"replication: primary, {replication.Replicas.Count.ToString(CultureInfo.InvariantCulture)} replica(s)");
            }

            return ExecutorResult.Success(new StatsResult(database.Name, size, connections, tables, slow, replication));
        }
        catch (Exception ex) when (PostgresErrors.IsReportable(ex))
        {
            var error = PostgresErrors.Describe(ex);
            job.Output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
    }

    private static async Task<List<TableStats>> ReadTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        // Seed 004 §4.2 "Vérifier la fragmentation", for every user table.
        const string sql = """
            SELECT schemaname || '.' || relname AS table,
                   pg_total_relation_size(relid) AS total_bytes,
                   pg_size_pretty(pg_total_relation_size(relid)) AS total_size,
                   n_live_tup AS live_tuples,
                   n_dead_tup AS dead_tuples,
                   round(n_dead_tup * 100.0 / nullif(n_live_tup + n_dead_tup, 0), 2) AS dead_ratio,
                   last_vacuum, last_autovacuum, last_analyze
            FROM pg_stat_user_tables
            ORDER BY n_dead_tup DESC, pg_total_relation_size(relid) DESC, 1
            LIMIT 100
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tables = new List<TableStats>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(new TableStats(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetDecimal(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return tables;
    }

    private static async Task<SlowQueryStats> ReadSlowQueriesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var installed = new NpgsqlCommand("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements'", connection))
        {
            if (await installed.ExecuteScalarAsync(cancellationToken) is not string schema)
            {
                return new SlowQueryStats(
                    false,
                    "slowQueries: pg_stat_statements is not installed in this database; add it to shared_preload_libraries, restart PostgreSQL and run CREATE EXTENSION pg_stat_statements.",
                    []);
            }

            // PostgreSQL 13 renamed mean_time/max_time/total_time (seed 004's column) to *_exec_time.
            var suffix = connection.PostgreSqlVersion.Major >= 13 ? "_exec_time" : "_time";
            var sql = $"""
                SELECT left(coalesce(query, '<insufficient privilege>'), {MaxQueryLength}), calls, mean{suffix}, max{suffix}, total{suffix}
                FROM {PostgresIdentifiers.Quote(schema)}.pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                ORDER BY mean{suffix} DESC
                LIMIT 10
                """;
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var queries = new List<SlowQuery>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    queries.Add(new SlowQuery(reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)));
                }

                return new SlowQueryStats(true, null, queries);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
            {
                return new SlowQueryStats(false, "slowQueries: pg_stat_statements is installed but not loaded: add it to shared_preload_libraries and restart PostgreSQL.", []);
            }
        }
    }

    private static async Task<ReplicationStats> ReadReplicationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var recovery = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
        {
            if ((bool)(await recovery.ExecuteScalarAsync(cancellationToken))!)
            {
                // Seed 004 §1.2 "Vérifier le lag de réplication".
                await using var lag = new NpgsqlCommand("SELECT EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8", connection);
                var value = await lag.ExecuteScalarAsync(cancellationToken);
                return new ReplicationStats("replica", value is double d ? d : null, []);
            }
        }

        const string sql = """
            SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'), coalesce(state, ''),
                   EXTRACT(EPOCH FROM replay_lag)::float8
            FROM pg_stat_replication
            ORDER BY 1, 2
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var replicas = new List<ReplicaStats>();
        while (await reader.ReadAsync(cancellationToken))
        {
            replicas.Add(new ReplicaStats(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetDouble(3)));
        }

        return new ReplicationStats("primary", null, replicas);
    }

    private static string Shorten(string query)
    {
        var single = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return single.Length <= 160 ? single : single[..157] + "...";
    }

    internal sealed record SizeStats(long Bytes, string Pretty);

    internal sealed record ConnectionStats(long Total, IReadOnlyDictionary<string, long> ByState);

    internal sealed record TableStats(
        string Table, long TotalBytes, string TotalSize, long LiveTuples, long DeadTuples, decimal? DeadRatio,
        DateTimeOffset? LastVacuum, DateTimeOffset? LastAutovacuum, DateTimeOffset? LastAnalyze);

    internal sealed record SlowQuery(string Query, long Calls, double MeanMs, double MaxMs, double TotalMs);

    internal sealed record SlowQueryStats(bool Available, string? Note, IReadOnlyList<SlowQuery> Queries);

    internal sealed record ReplicaStats(string ApplicationName, string ClientAddress, string State, double? ReplayLagSeconds);

    internal sealed record ReplicationStats(string Role, double? LagSeconds, IReadOnlyList<ReplicaStats> Replicas);

    internal sealed record StatsResult(
        string Database, SizeStats? Size, ConnectionStats? Connections, IReadOnlyList<TableStats>? Tables, SlowQueryStats? SlowQueries, ReplicationStats? Replication);
}
