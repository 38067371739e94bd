using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.vacuum</c>: seed 000's weekly <c>VACUUM ANALYZE</c> and seed 004 §1.2/§4.2
/// (<c>VACUUM ANALYZE vehicles_vehicule;</c>), on the whole database or the listed tables, one
/// statement per table with <c>VERBOSE</c> notices in the output. <c>ANALYZE</c> is on unless
/// <c>analyze: false</c>; <c>FULL</c> (rewrites and locks each table) only with <c>full: true</c>.
/// Result: <c>{database, analyze, full, deadTuplesBefore, deadTuplesAfter, durationMs,
/// tables: [{table, liveTuples, deadTuplesBefore, deadTuplesAfter}]}</c> (counters from
/// <c>pg_stat_user_tables</c>). FAILED when the database is not in the policy, a table does not
/// exist (named in the error) or the server refuses.
/// </summary>
internal sealed class PostgresVacuumExecutor(IConfiguration configuration, TimeProvider timeProvider) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresVacuum.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresVacuumParameters)job.Parameters;
        var started = timeProvider.GetTimestamp();
        try
        {
            var database = new PostgresPolicyLoader(configuration).Database(parameters.Database);
            await using var connection = await database.OpenAsync(cancellationToken);
            connection.Notice += (_, e) => job.Output.Stdout($"{e.Notice.Severity}: {e.Notice.MessageText}");

            var targets = new List<string>();
            foreach (var table in parameters.Tables ?? [])
            {
                targets.Add(await PostgresTableStats.ResolveAsync(connection, table, cancellationToken)
                    ?? throw new PostgresPolicyException($"table '{table}' does not exist in database '{database.Name}'."));
            }

            var analyze = parameters.Analyze ?? true;
            var full = parameters.Full ?? false;
            var options = new List<string> { "VERBOSE" };
            if (analyze)
            {
                options.Add("ANALYZE");
            }

            if (full)
            {
                options.Add("FULL");
            }

            var before = await PostgresTableStats.ReadAsync(connection, cancellationToken);
            var statements = targets.Count == 0
                ? [$"VACUUM ({string.Join(", ", options)})"]
                : targets.Select(t => $"VACUUM ({string.Join(", ", options)}) {PostgresIdentifiers.QuoteTable(t)}").ToList();
            foreach (var sql in statements)
            {
                job.Output.System(sql);
                await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            var after = await PostgresTableStats.ReadAsync(connection, cancellationToken);
            var reported = (targets.Count == 0 ? after.Keys.Order(StringComparer.Ordinal) : targets.AsEnumerable())
                .Select(t => new TableVacuum(
                    t,
                    after.TryGetValue(t, out var a) ? a.Live : 0,
                    before.TryGetValue(t, out var b) ? b.Dead : 0,
                    a.Dead))
                .ToList();
            foreach (var t in reported)
            {
                job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"{t.Table}: dead tuples {t.DeadTuplesBefore} → {t.DeadTuplesAfter}, live {t.LiveTuples}"));
            }

            return ExecutorResult.Success(new VacuumResult(
                database.Name,
                analyze,
                full,
                reported.Sum(t => t.DeadTuplesBefore),
                reported.Sum(t => t.DeadTuplesAfter),
                (long)timeProvider.GetElapsedTime(started).TotalMilliseconds,
                reported));
        }
        catch (Exception ex) when (PostgresErrors.IsReportable(ex))
        {
            var error = PostgresErrors.Describe(ex);
            job.Output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
    }

    internal sealed record TableVacuum(string Table, long LiveTuples, long DeadTuplesBefore, long DeadTuplesAfter);

    internal sealed record VacuumResult(
        string Database, bool Analyze, bool Full, long DeadTuplesBefore, long DeadTuplesAfter, long DurationMs, IReadOnlyList<TableVacuum> Tables);
}
