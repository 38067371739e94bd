using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ops.Agent.Postgres;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Postgres;

/// <summary>postgres.check (seed 001's freshness and anomaly queries) and postgres.purge (seed 000's retention) against a real cluster.</summary>
public sealed class PostgresCheckAndPurgeTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task FreshnessCheck_WithFutureTournaments_PassesWithTheObservedValue()
    {
        var (_, policy) = await SetUpAsync(new()
        {
            ["Sql"] = "SELECT count(*) FROM manalytics.tournaments WHERE date > now()",
            ["MinValue"] = "1",
            ["Description"] = "upcoming tournaments exist (seed 001)",
        });

        var run = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.True(run.Json.GetProperty("passed").GetBoolean());
        Assert.Equal(45m, run.Json.GetProperty("value").GetDecimal());
        Assert.Equal(1, run.Json.GetProperty("rows").GetInt64());
        Assert.Equal(1m, run.Json.GetProperty("expectation").GetProperty("minValue").GetDecimal());
        Assert.Contains("upcoming tournaments exist", run.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingCheck_ReportsTheObservedValueAndTheExpectation()
    {
        var (_, policy) = await SetUpAsync(new()
        {
            ["Sql"] = "SELECT count(*) FROM manalytics.tournaments WHERE date > now() + interval '1 year'",
            ["MinValue"] = "1",
        });

        var run = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.False(run.Result.Succeeded);
        Assert.Equal("check 'c' failed: value 0 is below minValue 1 (observed 1 row(s), value 0)", run.Result.Error);
        Assert.False(run.Json.GetProperty("passed").GetBoolean());
        Assert.Equal(0m, run.Json.GetProperty("value").GetDecimal());
    }

    [Fact]
    public async Task AnomalyCheck_WithMaxRowsZero_FailsOnceADuplicateAppears()
    {
        var (db, policy) = await SetUpAsync(new()
        {
            ["Sql"] = "SELECT name, date, count(*) FROM manalytics.tournaments GROUP BY name, date HAVING count(*) > 1",
            ["MaxRows"] = "0",
        });
        var before = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));
        await cluster.ExecuteAsync(db, "INSERT INTO manalytics.tournaments (source_id, format_id, name, date, players) SELECT source_id, format_id, name, date, players FROM manalytics.tournaments WHERE id = 7");

        var after = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.True(before.Result.Succeeded, before.Result.Error);
        Assert.False(after.Result.Succeeded);
        Assert.Contains("1 row(s), more than maxRows 0", after.Result.Error, StringComparison.Ordinal);
        Assert.Contains("Challenge #7", after.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckThatWrites_IsStoppedByTheReadOnlyTransaction()
    {
        var (db, policy) = await SetUpAsync(new()
        {
            // No keyword filter could tell: the write hides in a CTE and in a function call.
            ["Sql"] = "WITH gone AS (DELETE FROM manalytics.user_sessions RETURNING 1) SELECT count(*) FROM gone",
            ["MaxValue"] = "1000000",
        });

        var run = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("stopped by its READ ONLY transaction", run.Result.Error, StringComparison.Ordinal);
        Assert.Contains("25006", run.Result.Error, StringComparison.Ordinal);
        Assert.Equal(2000, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.user_sessions"));
    }

    [Fact]
    public async Task CheckThatWritesThroughAFunction_IsStoppedByTheReadOnlyTransaction()
    {
        var (db, policy) = await SetUpAsync(new() { ["Sql"] = "SELECT nextval('manalytics.user_sessions_id_seq')", ["MinValue"] = "0" });
        var sequence = await cluster.ScalarAsync(db, "SELECT last_value FROM manalytics.user_sessions_id_seq");

        var run = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("READ ONLY", run.Result.Error, StringComparison.Ordinal);
        Assert.Equal(sequence, await cluster.ScalarAsync(db, "SELECT last_value FROM manalytics.user_sessions_id_seq"));
    }

    [Fact]
    public async Task CheckWithASecondStatement_CannotEscapeTheTransaction()
    {
        var (db, policy) = await SetUpAsync(new() { ["Sql"] = "SELECT 1; COMMIT; DELETE FROM manalytics.audit_logs", ["MinValue"] = "1" });

        var run = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("42601", run.Result.Error, StringComparison.Ordinal);
        Assert.Equal(1500, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.audit_logs"));
    }

    [Fact]
    public async Task SlowCheck_IsCancelledByItsStatementTimeout()
    {
        var (_, policy) = await SetUpAsync(new() { ["Sql"] = "SELECT pg_sleep(30)", ["MinRows"] = "1", ["TimeoutSeconds"] = "1" });

        var run = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));

        Assert.False(run.Result.Succeeded);
        Assert.Equal("check 'c' exceeded its statement_timeout of 1 s", run.Result.Error);
    }

    [Fact]
    public async Task CheckPolicyErrors_NameTheKey()
    {
        var (_, policy) = await SetUpAsync(new() { ["Sql"] = "SELECT 1" });

        var noExpectation = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "c"));
        var unknown = await Executions.RunAsync(Check(policy), new PostgresCheckParameters("demo", "nope"));

        Assert.Contains("Postgres:Databases:demo:Checks:c needs at least one expectation", noExpectation.Result.Error, StringComparison.Ordinal);
        Assert.StartsWith("check 'nope' is not in this agent's policy (Postgres:Databases:demo:Checks; known: c)", unknown.Result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_DeletesExactlyTheRowsOlderThanTheRule_InBatches()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        var policy = PurgePolicy(db, batchSize: 200, maxRows: 100_000);
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var cutoff = clock.Now.UtcDateTime.AddDays(-90);
        var older = await CountAsync(db, "created_at < $1", cutoff);
        var newer = await CountAsync(db, "created_at >= $1", cutoff);
        Assert.InRange(older, 1400, 1600);

        var run = await Executions.RunAsync(Purge(policy, clock), new PostgresPurgeParameters("demo", "sessions"));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.Equal(older, run.Json.GetProperty("deleted").GetInt64());
        Assert.Equal((int)Math.Ceiling(older / 200.0), run.Json.GetProperty("batches").GetInt32());
        Assert.False(run.Json.GetProperty("capReached").GetBoolean());
        Assert.Equal(0, await CountAsync(db, "created_at < $1", cutoff));
        Assert.Equal(newer, await CountAsync(db, "created_at >= $1", cutoff));
        Assert.Equal(cutoff.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"), run.Json.GetProperty("cutoff").GetString());
        Assert.Contains("batch 1: deleted 200 rows (200 in total)", run.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_StopsAtMaxRowsPerRun_AndSaysWhatIsLeft()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var older = await CountAsync(db, "created_at < $1", clock.Now.UtcDateTime.AddDays(-90));

        var run = await Executions.RunAsync(Purge(PurgePolicy(db, batchSize: 200, maxRows: 500), clock), new PostgresPurgeParameters("demo", "sessions"));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.Equal(500, run.Json.GetProperty("deleted").GetInt64());
        Assert.Equal(3, run.Json.GetProperty("batches").GetInt32()); // 200 + 200 + 100
        Assert.True(run.Json.GetProperty("capReached").GetBoolean());
        Assert.Equal(older - 500, run.Json.GetProperty("remaining").GetInt64());
        Assert.Equal(2000 - 500, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.user_sessions"));
    }

    [Fact]
    public async Task Purge_WithAnUnknownRule_FailsNamingTheKey()
    {
        var db = await cluster.CreateDemoDatabaseAsync();

        var run = await Executions.RunAsync(Purge(PurgePolicy(db, 10, 10), TimeProvider.System), new PostgresPurgeParameters("demo", "audit"));

        Assert.False(run.Result.Succeeded);
        Assert.StartsWith("purge rule 'audit' is not in this agent's policy (Postgres:Databases:demo:PurgeRules; known: sessions)", run.Result.Error, StringComparison.Ordinal);
    }

    private async Task<(string Database, IConfiguration Policy)> SetUpAsync(Dictionary<string, string?> check)
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        return (db, cluster.Policy("demo", db, extra: check.ToDictionary(p => "Postgres:Databases:demo:Checks:c:" + p.Key, p => p.Value)));
    }

    private IConfiguration PurgePolicy(string db, int batchSize, long maxRows) => cluster.Policy("demo", db, extra: new Dictionary<string, string?>
    {
        ["Postgres:Databases:demo:PurgeRules:sessions:Table"] = "manalytics.user_sessions",
        ["Postgres:Databases:demo:PurgeRules:sessions:TimestampColumn"] = "created_at",
        ["Postgres:Databases:demo:PurgeRules:sessions:Days"] = "90",
        ["Postgres:Databases:demo:PurgeRules:sessions:BatchSize"] = batchSize.ToString(),
        ["Postgres:Databases:demo:PurgeRules:sessions:MaxRowsPerRun"] = maxRows.ToString(),
    });

    private async Task<long> CountAsync(string db, string condition, DateTime cutoff)
    {
        await using var connection = await cluster.OpenAsync(db);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM manalytics.user_sessions WHERE {condition}", connection);
        command.Parameters.AddWithValue(cutoff);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static PostgresCheckExecutor Check(IConfiguration policy) => new(policy, TimeProvider.System);

    private static PostgresPurgeExecutor Purge(IConfiguration policy, TimeProvider clock) => new(policy, clock, NullLogger<PostgresPurgeExecutor>.Instance);
}
