using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.purge</c> (destructive): applies a named retention rule of the policy — seed 000
/// "Nettoyer les vieux logs (mensuel)": <c>DELETE FROM manalytics.user_sessions WHERE created_at &lt;
/// NOW() - INTERVAL '90 days'</c> (and audit_logs, 180 days) — without one long transaction:
/// the cut-off is fixed once (agent clock − days), then rows older than it are deleted
/// <c>BatchSize</c> at a time, each batch its own transaction (short locks, bounded WAL), until
/// none is left or <c>MaxRowsPerRun</c> rows are gone. Progress per batch in the output.
/// Result: <c>{database, rule, table, timestampColumn, days, cutoff (ISO 8601 UTC), deleted,
/// batches, batchSize, maxRowsPerRun, capReached, remaining (older rows left, counted only when
/// the cap was reached, else 0), durationMs}</c>.
/// </summary>
internal sealed class PostgresPurgeExecutor(IConfiguration configuration, TimeProvider timeProvider, ILogger<PostgresPurgeExecutor> logger) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresPurge.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresPurgeParameters)job.Parameters;
        var started = timeProvider.GetTimestamp();
        var inv = CultureInfo.InvariantCulture;
        try
        {
            var loader = new PostgresPolicyLoader(configuration);
            var database = loader.Database(parameters.Database);
            var rule = loader.PurgeRule(database, parameters.Rule);
            await using var connection = await database.OpenAsync(cancellationToken);
            var table = await PostgresTableStats.ResolveAsync(connection, rule.Table!, cancellationToken)
                ?? throw new PostgresPolicyException($"table '{rule.Table}' of purge rule '{parameters.Rule}' does not exist in database '{database.Name}'.");

            var cutoff = timeProvider.GetUtcNow().UtcDateTime.AddDays(-rule.Days);
            var quotedTable = PostgresIdentifiers.QuoteTable(table);
            var column = PostgresIdentifiers.Quote(rule.TimestampColumn!);
            job.Output.System(string.Create(inv, $"purge '{parameters.Rule}': rows of {table} with {rule.TimestampColumn} < {cutoff:yyyy-MM-dd'T'HH:mm:ss'Z'} ({rule.Days} days), {rule.BatchSize} per batch, at most {rule.MaxRowsPerRun}"));

            // ctid batches need no primary key; the outer condition is re-checked in case a row moved.
            var deleteSql = $"""
                DELETE FROM {quotedTable}
                WHERE ctid = ANY (ARRAY(SELECT ctid FROM {quotedTable} WHERE {column} < $1 LIMIT $2))
                  AND {column} < $1
                """;
            long deleted = 0;
            var batches = 0;
            while (deleted < rule.MaxRowsPerRun)
            {
                var limit = (int)Math.Min(rule.BatchSize, rule.MaxRowsPerRun - deleted);
                await using var delete = new NpgsqlCommand(deleteSql, connection) { CommandTimeout = 0 };
                delete.Parameters.AddWithValue(cutoff);
                delete.Parameters.AddWithValue(limit);
                var count = await delete.ExecuteNonQueryAsync(cancellationToken);
                if (count == 0)
                {
                    break;
                }

                deleted += count;
                batches++;
                job.Output.Stdout(string.Create(inv, $"batch {batches}: deleted {count} rows ({deleted} in total)"));
                if (count < limit)
                {
                    break;
                }
            }

            var capReached = deleted >= rule.MaxRowsPerRun;
            long remaining = 0;
            if (capReached)
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {quotedTable} WHERE {column} < $1", connection) { CommandTimeout = 0 };
                count.Parameters.AddWithValue(cutoff);
                remaining = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
                job.Output.System(string.Create(inv, $"MaxRowsPerRun {rule.MaxRowsPerRun} reached: {remaining} older rows left for the next run"));
            }

            job.Output.Stdout(string.Create(inv, $"deleted {deleted} rows from {table} in {batches} batch(es)"));
            PostgresLog.Purged(logger, parameters.Rule, deleted, table, database.Name);
            return ExecutorResult.Success(new PurgeResult(
                database.Name,
                parameters.Rule,
                table,
                rule.TimestampColumn!,
                rule.Days,
                cutoff.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", inv),
                deleted,
                batches,
                rule.BatchSize,
                rule.MaxRowsPerRun,
                capReached,
                remaining,
                (long)timeProvider.GetElapsedTime(started).TotalMilliseconds));
        }
        catch (Exception ex) when (PostgresErrors.IsReportable(ex))
        {
            var error = PostgresErrors.Describe(ex);
            job.Output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
    }

    internal sealed record PurgeResult(
        string Database, string Rule, string Table, string TimestampColumn, int Days, string Cutoff, long Deleted, int Batches,
        int BatchSize, long MaxRowsPerRun, bool CapReached, long Remaining, long DurationMs);
}
