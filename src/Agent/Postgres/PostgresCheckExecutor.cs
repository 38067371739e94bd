using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.check</c>: runs a named check of the policy (seed 001 "Vérifier la fraîcheur des
/// données" — future tournaments exist — and "Détecter les anomalies" — duplicates, non-positive
/// buy-ins) and compares its outcome with the check's expectation.
/// <para>
/// Safety does not depend on the SQL's text: the statement runs in a <c>READ ONLY</c> transaction
/// (any write, including a data-modifying CTE or a writing function, fails with SQLSTATE 25006),
/// with the check's <c>statement_timeout</c>, sent as one extended-protocol statement (a second
/// statement such as <c>; COMMIT; DELETE …</c> is refused by the server), and always rolled back.
/// </para>
/// Result: <c>{database, check, description, rows, value, expectation: {minRows, maxRows, minValue,
/// maxValue}, passed, failures: ["value 0 is below minValue 1"], durationMs}</c>; value = first column
/// of the first row when numeric (booleans as 1/0), else null. The first 20 rows go to stdout.
/// SUCCEEDED when every expectation holds; FAILED with the observed value otherwise, or when the
/// statement fails (read-only violation, timeout, syntax), with the server's message.
/// </summary>
internal sealed class PostgresCheckExecutor(IConfiguration configuration, TimeProvider timeProvider) : IOperationExecutor
{
    private const int PrintedRows = 20;

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresCheck.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresCheckParameters)job.Parameters;
        PostgresDatabase database;
        PostgresCheckPolicy check;
        try
        {
            var loader = new PostgresPolicyLoader(configuration);
            database = loader.Database(parameters.Database);
            check = loader.Check(database, parameters.Check);
        }
        catch (PostgresPolicyException ex)
        {
            job.Output.Stderr(ex.Message);
            return ExecutorResult.Failure(ex.Message);
        }

        var expectation = new Expectation(check.MinRows, check.MaxRows, check.MinValue, check.MaxValue);
        if (check.Description is { Length: > 0 } description)
        {
            job.Output.System($"{parameters.Check}: {description}");
        }

        var started = timeProvider.GetTimestamp();
        long rows = 0;
        decimal? value = null;
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var setup = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
            {
                await setup.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var timeout = new NpgsqlCommand("SELECT set_config('statement_timeout', $1, true)", connection, transaction))
            {
                timeout.Parameters.AddWithValue((check.TimeoutSeconds * 1000).ToString(CultureInfo.InvariantCulture));
                await timeout.ExecuteNonQueryAsync(cancellationToken);
            }

            // A batch command is one extended-protocol statement: never split on ';'.
            await using var batch = new NpgsqlBatch(connection, transaction) { Timeout = check.TimeoutSeconds + 5 };
            batch.BatchCommands.Add(new NpgsqlBatchCommand(check.Sql!));
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                if (reader.FieldCount > 0)
                {
                    job.Output.Stdout(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(reader.GetName)));
                }

                while (await reader.ReadAsync(cancellationToken))
                {
                    if (rows == 0 && reader.FieldCount > 0)
                    {
                        value = ToNumber(reader.GetValue(0));
                    }

                    if (rows < PrintedRows)
                    {
                        job.Output.Stdout(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => Format(reader.GetValue(i)))));
                    }

                    rows++;
                }
            }

            await transaction.RollbackAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            var reason = ex.SqlState switch
            {
                PostgresErrorCodes.ReadOnlySqlTransaction => $"check '{parameters.Check}' tried to write and was stopped by its READ ONLY transaction: {PostgresErrors.Describe(ex)}",
                PostgresErrorCodes.QueryCanceled when !cancellationToken.IsCancellationRequested =>
                    $"check '{parameters.Check}' exceeded its statement_timeout of {check.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s",
                _ => $"check '{parameters.Check}' failed: {PostgresErrors.Describe(ex)}",
            };
            job.Output.Stderr(reason);
            return ExecutorResult.Failure(reason, Result(database, parameters.Check, check, rows: null, value: null, expectation, passed: false, [reason], started));
        }
        catch (NpgsqlException ex)
        {
            var reason = PostgresErrors.Describe(ex);
            job.Output.Stderr(reason);
            return ExecutorResult.Failure(reason);
        }

        var failures = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        if (check.MinRows is { } minRows && rows < minRows)
        {
            failures.Add(string.Create(inv, $"{rows} row(s), fewer than minRows {minRows}"));
        }

        if (check.MaxRows is { } maxRows && rows > maxRows)
        {
            failures.Add(string.Create(inv, $"{rows} row(s), more than maxRows {maxRows}"));
        }

        if (check.MinValue is not null || check.MaxValue is not null)
        {
            if (value is not { } v)
            {
                failures.Add(rows == 0 ? "no row, so no value to compare" : "the first column of the first row is not a number");
            }
            else
            {
                if (check.MinValue is { } minValue && v < minValue)
                {
                    failures.Add(string.Create(inv, $"value {v} is below minValue {minValue}"));
                }

                if (check.MaxValue is { } maxValue && v > maxValue)
                {
                    failures.Add(string.Create(inv, $"value {v} is above maxValue {maxValue}"));
                }
            }
        }

        var passed = failures.Count == 0;
        var result = Result(database, parameters.Check, check, rows, value, expectation, passed, failures, started);
        var observed = string.Create(inv, $"observed {rows} row(s), value {(value is { } x ? x.ToString(inv) : "null")}");
        if (passed)
        {
            job.Output.Stdout($"check '{parameters.Check}' passed: {observed}");
            return ExecutorResult.Success(result);
        }

        var error = $"check '{parameters.Check}' failed: {string.Join("; ", failures)} ({observed})";
        job.Output.Stderr(error);
        return ExecutorResult.Failure(error, result);
    }

    private CheckResult Result(
        PostgresDatabase database, string name, PostgresCheckPolicy check, long? rows, decimal? value, Expectation expectation, bool passed, IReadOnlyList<string> failures, long started) =>
        new(database.Name, name, check.Description, rows, value, expectation, passed, failures, (long)timeProvider.GetElapsedTime(started).TotalMilliseconds);

    private static decimal? ToNumber(object value) => value switch
    {
        bool b => b ? 1 : 0,
        short or int or long or byte or sbyte or ushort or uint or ulong or decimal => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
        float f when float.IsFinite(f) => (decimal)f,
        double d when double.IsFinite(d) => (decimal)d,
        _ => null,
    };

    private static string Format(object value) => value switch
    {
        DBNull => "NULL",
        DateTime dt => dt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    internal sealed record Expectation(long? MinRows, long? MaxRows, decimal? MinValue, decimal? MaxValue);

    internal sealed record CheckResult(
        string Database, string Check, string? Description, long? Rows, decimal? Value, Expectation Expectation, bool Passed, IReadOnlyList<string> Failures, long DurationMs);
}
