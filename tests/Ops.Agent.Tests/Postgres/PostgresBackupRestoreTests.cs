using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Agent.Execution;
using Ops.Agent.Postgres;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Postgres;

/// <summary>postgres.backup, postgres.verify-backup and postgres.restore against a real cluster holding seed 000's tables.</summary>
public sealed class PostgresBackupRestoreTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>
{
    private static readonly ProcessRunner Runner = new(TimeProvider.System, NullLogger<ProcessRunner>.Instance);

    [Fact]
    public async Task BackupVerifyDropRestore_BringsTheRowsBack()
    {
        var (db, directory, policy) = await SetUpAsync();
        var tournaments = await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.tournaments");
        var decklists = await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.decklists");

        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("demo"));

        Assert.True(backup.Result.Succeeded, backup.Result.Error);
        var file = backup.Json.GetProperty("file").GetString()!;
        Assert.Matches(@"^demo_\d{8}_\d{6}\.dump$", file);
        var path = Path.Combine(directory, file);
        Assert.Equal(new FileInfo(path).Length, backup.Json.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), backup.Json.GetProperty("sha256").GetString());
        Assert.True(backup.Json.GetProperty("durationMs").GetInt64() >= 0);
        Assert.Contains("dumping contents of table", backup.Output.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(directory), f => f.EndsWith(".partial", StringComparison.Ordinal));
        var manifest = JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(path + ".json"));
        Assert.Equal("demo", manifest.GetProperty("database").GetString());
        Assert.Equal(file, manifest.GetProperty("file").GetString());
        Assert.Equal("custom", manifest.GetProperty("format").GetString());
        Assert.True(manifest.GetProperty("succeeded").GetBoolean());
        Assert.Equal(backup.Json.GetProperty("sha256").GetString(), manifest.GetProperty("sha256").GetString());

        var verify = await Executions.RunAsync(Verify(policy), new PostgresVerifyBackupParameters("demo"));

        Assert.True(verify.Result.Succeeded, verify.Result.Error);
        Assert.Equal(file, verify.Json.GetProperty("file").GetString());
        Assert.Equal(9, verify.Json.GetProperty("tablesInBackup").GetInt32());
        Assert.Equal(9, verify.Json.GetProperty("tablesRestored").GetInt64());
        var counted = verify.Json.GetProperty("verifyTables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!, t => t.GetProperty("rows").GetInt64());
        Assert.Equal(tournaments, counted["manalytics.tournaments"]);
        Assert.Equal(decklists, counted["manalytics.decklists"]);
        Assert.True(verify.Json.GetProperty("scratchDropped").GetBoolean());
        var scratch = verify.Json.GetProperty("scratchDatabase").GetString();
        Assert.Equal(0, await cluster.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{scratch}'"));

        await cluster.ExecuteAsync(db, "DROP TABLE manalytics.decklists");

        var restore = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", file));

        Assert.True(restore.Result.Succeeded, restore.Result.Error);
        Assert.Equal("database", restore.Json.GetProperty("scope").GetString());
        Assert.Equal(decklists, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.decklists"));
        Assert.Equal(tournaments, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.tournaments"));
        Assert.Equal(1, await cluster.ScalarAsync(db, "SELECT count(*) FROM pg_constraint WHERE conname = 'decklists_tournament_id_fkey'"));
    }

    [Fact]
    public async Task RestoreOfATableList_RecreatesTheTableItsRowsAndTheForeignKeysToIt()
    {
        var (db, _, policy) = await SetUpAsync();
        var tournaments = await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.tournaments");
        var sessions = await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.user_sessions");
        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("demo"));
        Assert.True(backup.Result.Succeeded, backup.Result.Error);
        await cluster.ExecuteAsync(db, "DROP TABLE manalytics.tournaments CASCADE; DELETE FROM manalytics.user_sessions WHERE id <= 10");

        var restore = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", backup.Json.GetProperty("file").GetString()!, ["manalytics.tournaments"]));

        Assert.True(restore.Result.Succeeded, restore.Result.Error);
        Assert.Equal("tables", restore.Json.GetProperty("scope").GetString());
        Assert.Equal(tournaments, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.tournaments"));
        Assert.Equal(1, await cluster.ScalarAsync(db, "SELECT count(*) FROM pg_constraint WHERE conname = 'decklists_tournament_id_fkey'"));
        Assert.Equal(3, await cluster.ScalarAsync(db, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'manalytics' AND tablename = 'tournaments'"));
        Assert.Equal(sessions - 10, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.user_sessions")); // other tables untouched
    }

    [Fact]
    public async Task PlainGzipBackup_IsGzipAndVerifiesAndRestores()
    {
        var (db, directory, policy) = await SetUpAsync();
        var sessions = await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.user_sessions");

        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("demo", Format: "plain-gzip"));

        Assert.True(backup.Result.Succeeded, backup.Result.Error);
        var file = backup.Json.GetProperty("file").GetString()!;
        Assert.EndsWith(".sql.gz", file, StringComparison.Ordinal);
        var bytes = File.ReadAllBytes(Path.Combine(directory, file));
        Assert.Equal([0x1f, 0x8b], bytes[..2]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), backup.Json.GetProperty("sha256").GetString());

        var verify = await Executions.RunAsync(Verify(policy), new PostgresVerifyBackupParameters("demo", file));
        Assert.True(verify.Result.Succeeded, verify.Result.Error);
        Assert.Equal(9, verify.Json.GetProperty("tablesRestored").GetInt64());

        await cluster.ExecuteAsync(db, "DELETE FROM manalytics.user_sessions");
        var restore = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", file));

        Assert.True(restore.Result.Succeeded, restore.Result.Error);
        Assert.Equal(sessions, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.user_sessions"));
    }

    [Fact]
    public async Task DataOnlyBackupOfOneTable_HoldsOnlyItsRows()
    {
        var (_, directory, policy) = await SetUpAsync();

        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("demo", Format: "plain-gzip", DataOnly: true, Tables: ["manalytics.archetype_rules"]));

        Assert.True(backup.Result.Succeeded, backup.Result.Error);
        await using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(directory, backup.Json.GetProperty("file").GetString()!)), System.IO.Compression.CompressionMode.Decompress);
        var sql = await new StreamReader(gzip).ReadToEndAsync();
        Assert.Contains("COPY manalytics.archetype_rules", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("CREATE TABLE", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("manalytics.tournaments", sql, StringComparison.Ordinal);
        Assert.True(backup.Json.GetProperty("dataOnly").GetBoolean());
    }

    [Fact]
    public async Task Retention_RemovesOnlyThisDatabasesOldBackups()
    {
        var (_, directory, policy) = await SetUpAsync();
        var now = new DateTimeOffset(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);
        string[] old = ["demo_20261101_040000.dump", "demo_20261110_040000.sql.gz"];
        string[] kept = ["demo_20261120_040000.dump", "demo_archive_20261101_040000.dump", "other_20261001_040000.sql.gz", "notes.txt", "demo_latest.dump"];
        foreach (var name in old.Concat(kept))
        {
            await File.WriteAllTextAsync(Path.Combine(directory, name), "x");
            await File.WriteAllTextAsync(Path.Combine(directory, name + ".json"), "{}");
        }

        var backup = await Executions.RunAsync(Backup(policy, new ManualTimeProvider(now)), new PostgresBackupParameters("demo", RetentionDays: 7));

        Assert.True(backup.Result.Succeeded, backup.Result.Error);
        Assert.Equal("demo_20261122_040000.dump", backup.Json.GetProperty("file").GetString());
        Assert.Equal(old.Order(), backup.Json.GetProperty("removed").EnumerateArray().Select(e => e.GetString()).Order());
        foreach (var name in old)
        {
            Assert.False(File.Exists(Path.Combine(directory, name)), name);
            Assert.False(File.Exists(Path.Combine(directory, name + ".json")), name + ".json");
        }

        foreach (var name in kept.Append("demo_20261122_040000.dump"))
        {
            Assert.True(File.Exists(Path.Combine(directory, name)), name);
            Assert.True(File.Exists(Path.Combine(directory, name + ".json")), name + ".json");
        }
    }

    [Fact]
    public async Task TamperedBackup_IsRefusedByRestoreAndVerify()
    {
        var (db, directory, policy) = await SetUpAsync();
        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("demo"));
        Assert.True(backup.Result.Succeeded, backup.Result.Error);
        var file = backup.Json.GetProperty("file").GetString()!;
        var path = Path.Combine(directory, file);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^10] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        await cluster.ExecuteAsync(db, "DELETE FROM manalytics.audit_logs");

        var restore = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", file));

        Assert.False(restore.Result.Succeeded);
        Assert.Contains("restore refused", restore.Result.Error, StringComparison.Ordinal);
        Assert.Contains("has changed since it was written", restore.Result.Error, StringComparison.Ordinal);
        Assert.Contains(backup.Json.GetProperty("sha256").GetString()!, restore.Result.Error, StringComparison.Ordinal);
        Assert.Equal(0, await cluster.ScalarAsync(db, "SELECT count(*) FROM manalytics.audit_logs")); // nothing was restored

        var verify = await Executions.RunAsync(Verify(policy), new PostgresVerifyBackupParameters("demo", file));
        Assert.False(verify.Result.Succeeded);
        Assert.Contains("has changed since it was written", verify.Result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_OfAFileWithoutManifestOrOfAnotherDatabase_IsRefused()
    {
        var (_, directory, policy) = await SetUpAsync();
        await File.WriteAllTextAsync(Path.Combine(directory, "demo_20260101_000000.dump"), "not a dump");
        await File.WriteAllTextAsync(Path.Combine(directory, "other_20260101_000000.dump"), "not a dump");

        var noManifest = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", "demo_20260101_000000.dump"));
        var otherDatabase = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", "other_20260101_000000.dump"));
        var missing = await Executions.RunAsync(Restore(policy), new PostgresRestoreParameters("demo", "demo_20250101_000000.dump"));

        Assert.Contains("no readable manifest", noManifest.Result.Error, StringComparison.Ordinal);
        Assert.Contains("is not a backup of database 'demo'", otherDatabase.Result.Error, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing.Result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownDatabase_FailsNamingThePolicyKey()
    {
        var (_, _, policy) = await SetUpAsync();

        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("nope"));

        Assert.False(backup.Result.Succeeded);
        Assert.StartsWith("database 'nope' is not in this agent's policy (Postgres:Databases", backup.Result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingPgDump_LeavesNoFileAndReportsItsExitCode()
    {
        var (_, directory, policy) = await SetUpAsync();

        var backup = await Executions.RunAsync(Backup(policy), new PostgresBackupParameters("demo", Tables: ["manalytics.no_such_table"]));

        Assert.False(backup.Result.Succeeded);
        Assert.NotEqual(0, backup.Result.ExitCode);
        Assert.Contains("pg_dump of 'demo' failed", backup.Result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(directory));
    }

    private async Task<(string Database, string Directory, IConfiguration Policy)> SetUpAsync()
    {
        var db = await cluster.CreateDemoDatabaseAsync();
        var directory = cluster.NewDirectory();
        var policy = cluster.Policy("demo", db, directory, new Dictionary<string, string?>
        {
            ["Postgres:Databases:demo:VerifyTables:0"] = "manalytics.tournaments",
            ["Postgres:Databases:demo:VerifyTables:1"] = "manalytics.decklists",
        });
        return (db, directory, policy);
    }

    private static PostgresBackupExecutor Backup(IConfiguration policy, TimeProvider? time = null) =>
        new(policy, Runner, time ?? TimeProvider.System, NullLogger<PostgresBackupExecutor>.Instance);

    private static PostgresVerifyBackupExecutor Verify(IConfiguration policy) =>
        new(policy, Runner, TimeProvider.System, NullLogger<PostgresVerifyBackupExecutor>.Instance);

    private static PostgresRestoreExecutor Restore(IConfiguration policy) =>
        new(policy, Runner, TimeProvider.System, NullLogger<PostgresRestoreExecutor>.Instance);
}
