using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.reindex</c>: seed 000 "Réindexer si performances dégradées" (<c>REINDEX DATABASE</c>)
/// and seed 004 §4.2, or one table's indexes (<c>REINDEX TABLE</c>), with <c>VERBOSE</c> notices in
/// the output. REINDEX blocks writes to each table while it runs. Result:
/// <c>{database, scope: "table"|"database", table?, indexes, durationMs}</c> (indexes = user
/// indexes covered). FAILED when the database is not in the policy, the table does not exist, or
/// the server refuses.
/// </summary>
internal sealed class PostgresReindexExecutor(IConfiguration configuration, TimeProvider timeProvider) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresReindex.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresReindexParameters)job.Parameters;
        var started = timeProvider.GetTimestamp();
        try
        {
            var database = new PostgresPolicyLoader(configuration).Database(parameters.Database);
            await using var connection = await database.OpenAsync(cancellationToken);
            connection.Notice += (_, e) => job.Output.Stdout($"{e.Notice.Severity}: {e.Notice.MessageText}");

            string sql;
            string countSql;
            string? table = null;
            if (parameters.Table is { } requested)
            {
                table = await PostgresTableStats.ResolveAsync(connection, requested, cancellationToken)
                    ?? throw new PostgresPolicyException($"table '{requested}' does not exist in database '{database.Name}'.");
                sql = $"REINDEX (VERBOSE) TABLE {PostgresIdentifiers.QuoteTable(table)}";
                countSql = "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass($1)";
            }
            else
            {
                // REINDEX DATABASE takes the current database's name (PostgreSQL 15 refuses any other).
                await using var current = new NpgsqlCommand("SELECT current_database()", connection);
                var name = (string)(await current.ExecuteScalarAsync(cancellationToken))!;
                sql = $"REINDEX (VERBOSE) DATABASE {PostgresIdentifiers.Quote(name)}";
                countSql = """
                    SELECT count(*)
                    FROM pg_index i
                    JOIN pg_class c ON c.oid = i.indexrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
                    """;
            }

            long indexes;
            await using (var count = new NpgsqlCommand(countSql, connection))
            {
                if (table is not null)
                {
                    count.Parameters.AddWithValue(PostgresIdentifiers.QuoteTable(table));
                }

                indexes = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            }

            job.Output.System(sql);
            await using (var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 })
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            var durationMs = (long)timeProvider.GetElapsedTime(started).TotalMilliseconds;
            job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"reindexed {indexes} index(es) of {table ?? "database " + database.Name} in {durationMs} ms"));
            return ExecutorResult.Success(new ReindexResult(database.Name, table is null ? "database" : "table", table, indexes, durationMs));
        }
        catch (Exception ex) when (PostgresErrors.IsReportable(ex))
        {
            var error = PostgresErrors.Describe(ex);
            job.Output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
    }

    internal sealed record ReindexResult(
        string Database,
        string Scope,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Table,
        long Indexes,
        long DurationMs);
}
