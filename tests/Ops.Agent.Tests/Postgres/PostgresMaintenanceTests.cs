using System.Text.Json;
using Ops.Agent.Postgres;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Postgres;

/// <summary>postgres.vacuum, postgres.reindex and postgres.stats against a real cluster holding seed 000's tables.</summary>
public sealed class PostgresMaintenanceTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task Vacuum_OfATableWithDeadTuples_LowersThemAndStatsReportIt()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        var policy = cluster.Policy("demo", db);
        await using (var connection = await cluster.OpenAsync(db))
        {
            // No autovacuum in between: the dead tuples stay until our VACUUM.
            await using var update = new Npgsql.NpgsqlCommand(
                """
                ALTER TABLE manalytics.user_sessions SET (autovacuum_enabled = false);
                UPDATE manalytics.user_sessions SET ip_address = ip_address || '' WHERE id <= 1200;
                """,
                connection);
            await update.ExecuteNonQueryAsync();
            await using var flush = new Npgsql.NpgsqlCommand("SELECT pg_stat_force_next_flush()", connection);
            await flush.ExecuteNonQueryAsync();
            await using var idle = new Npgsql.NpgsqlCommand("SELECT 1", connection);
            await idle.ExecuteNonQueryAsync();
        }

        var before = await Executions.RunAsync(new PostgresStatsExecutor(policy), new PostgresStatsParameters("demo", ["tables"]));
        Assert.True(before.Result.Succeeded, before.Result.Error);
        var sessionsBefore = Table(before.Json, "manalytics.user_sessions");
        Assert.True(sessionsBefore.GetProperty("deadTuples").GetInt64() >= 1200, before.Output.Text);
        Assert.True(sessionsBefore.GetProperty("deadRatio").GetDecimal() > 0);

        var vacuum = await Executions.RunAsync(new PostgresVacuumExecutor(policy, TimeProvider.System), new PostgresVacuumParameters("demo", ["manalytics.user_sessions"]));

        Assert.True(vacuum.Result.Succeeded, vacuum.Result.Error);
        Assert.True(vacuum.Json.GetProperty("analyze").GetBoolean());
        Assert.False(vacuum.Json.GetProperty("full").GetBoolean());
        var table = Assert.Single(vacuum.Json.GetProperty("tables").EnumerateArray());
        Assert.Equal("manalytics.user_sessions", table.GetProperty("table").GetString());
        Assert.True(table.GetProperty("deadTuplesBefore").GetInt64() >= 1200);
        Assert.True(table.GetProperty("deadTuplesAfter").GetInt64() < table.GetProperty("deadTuplesBefore").GetInt64());
        Assert.Contains("VACUUM (VERBOSE, ANALYZE) \"manalytics\".\"user_sessions\"", vacuum.Output.Text, StringComparison.Ordinal);
        Assert.Contains("INFO: ", vacuum.Output.Text, StringComparison.Ordinal);

        var after = await Executions.RunAsync(new PostgresStatsExecutor(policy), new PostgresStatsParameters("demo", ["tables"]));
        var sessionsAfter = Table(after.Json, "manalytics.user_sessions");
        Assert.True(sessionsAfter.GetProperty("deadTuples").GetInt64() < sessionsBefore.GetProperty("deadTuples").GetInt64());
        Assert.Equal(JsonValueKind.String, sessionsAfter.GetProperty("lastVacuum").ValueKind);
    }

    [Fact]
    public async Task VacuumFull_OfTheWholeDatabase_Succeeds_AndAnUnknownTableFails()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        var policy = cluster.Policy("demo", db);
        var executor = new PostgresVacuumExecutor(policy, TimeProvider.System);

        var full = await Executions.RunAsync(executor, new PostgresVacuumParameters("demo", Full: true, Analyze: false));
        var missing = await Executions.RunAsync(executor, new PostgresVacuumParameters("demo", ["manalytics.nope"]));

        Assert.True(full.Result.Succeeded, full.Result.Error);
        Assert.Contains("VACUUM (VERBOSE, FULL)", full.Output.Text, StringComparison.Ordinal);
        Assert.Contains(full.Json.GetProperty("tables").EnumerateArray(), t => t.GetProperty("table").GetString() == "manalytics.decklists");
        Assert.False(missing.Result.Succeeded);
        Assert.Equal("table 'manalytics.nope' does not exist in database 'demo'.", missing.Result.Error);
    }

    [Fact]
    public async Task Reindex_OfATableOrTheDatabase_CoversTheirIndexes()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        var executor = new PostgresReindexExecutor(cluster.Policy("demo", db), TimeProvider.System);

        var table = await Executions.RunAsync(executor, new PostgresReindexParameters("demo", "manalytics.tournaments"));
        var database = await Executions.RunAsync(executor, new PostgresReindexParameters("demo"));

        Assert.True(table.Result.Succeeded, table.Result.Error);
        Assert.Equal("table", table.Json.GetProperty("scope").GetString());
        Assert.Equal(3, table.Json.GetProperty("indexes").GetInt64()); // pkey, date, created_at
        Assert.Contains("tournaments_date_idx", table.Output.Text, StringComparison.Ordinal);
        Assert.True(database.Result.Succeeded, database.Result.Error);
        Assert.Equal("database", database.Json.GetProperty("scope").GetString());
        Assert.True(database.Json.GetProperty("indexes").GetInt64() >= 15);
        Assert.Contains($"REINDEX (VERBOSE) DATABASE \"{db}\"", database.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_ReportsEverySection_AndExplainsMissingPgStatStatements()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        await cluster.ExecuteAsync(db, "ANALYZE"); // a copy of a template starts without statistics

        var stats = await Executions.RunAsync(new PostgresStatsExecutor(cluster.Policy("demo", db)), new PostgresStatsParameters("demo"));

        Assert.True(stats.Result.Succeeded, stats.Result.Error);
        Assert.True(stats.Json.GetProperty("size").GetProperty("bytes").GetInt64() > 1_000_000);
        Assert.True(stats.Json.GetProperty("connections").GetProperty("total").GetInt64() >= 1);
        Assert.True(stats.Json.GetProperty("connections").GetProperty("byState").GetProperty("active").GetInt64() >= 1);
        Assert.Equal(600, Table(stats.Json, "manalytics.tournaments").GetProperty("liveTuples").GetInt64());
        Assert.Equal(9, stats.Json.GetProperty("tables").GetArrayLength());
        var slow = stats.Json.GetProperty("slowQueries");
        Assert.False(slow.GetProperty("available").GetBoolean());
        Assert.Contains("pg_stat_statements is not installed", slow.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Equal("primary", stats.Json.GetProperty("replication").GetProperty("role").GetString());
        Assert.Contains("pg_stat_statements is not installed", stats.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_WithOneSection_LeavesTheOthersNull()
    {
        var db = await cluster.CreateDemoDatabaseAsync();

        var stats = await Executions.RunAsync(new PostgresStatsExecutor(cluster.Policy("demo", db)), new PostgresStatsParameters("demo", ["size"]));

        Assert.True(stats.Result.Succeeded, stats.Result.Error);
        Assert.Equal(JsonValueKind.Object, stats.Json.GetProperty("size").ValueKind);
        Assert.Equal(JsonValueKind.Null, stats.Json.GetProperty("tables").ValueKind);
        Assert.Equal(JsonValueKind.Null, stats.Json.GetProperty("slowQueries").ValueKind);
    }

    private static JsonElement Table(JsonElement stats, string name) =>
        stats.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == name);
}
