using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Infrastructure.Storage;

public sealed class MigrationRunnerTests
{
    [Fact]
    public async Task Migrate_RunTwice_AppliesEachMigrationOnce()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestCluster.CreateDatabaseAsync("migr"));
        var runner = new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance);

        var first = await runner.MigrateAsync(CancellationToken.None);
        var second = await runner.MigrateAsync(CancellationToken.None);

        Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version), first);
        Assert.Empty(second);
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(MigrationRunner.Embedded.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrate_ManyReplicasAtOnce_AppliesEachMigrationExactlyOnce()
    {
        var connectionString = await TestCluster.CreateDatabaseAsync("migr_race");
        // Separate data sources: separate sessions, as separate control-plane processes would have.
        var sources = Enumerable.Range(0, 6).Select(_ => NpgsqlDataSource.Create(connectionString)).ToList();
        try
        {
            var results = await Task.WhenAll(sources.Select(s =>
                Task.Run(() => new MigrationRunner(s, NullLogger<MigrationRunner>.Instance).MigrateAsync(CancellationToken.None))));

            Assert.Equal(MigrationRunner.Embedded.Count, results.Sum(r => r.Count));
            Assert.Single(results, r => r.Count > 0);
            await using var connection = await sources[0].OpenConnectionAsync();
            Assert.Equal(MigrationRunner.Embedded.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
            Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('jobs') IS NOT NULL"));
        }
        finally
        {
            foreach (var s in sources)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AuditLog_UpdateOrDelete_IsRefusedByTheDatabase()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestCluster.CreateDatabaseAsync("migr_audit"));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).MigrateAsync(CancellationToken.None);
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO audit_log (at, actor, action, resource_type) VALUES (now(), 'a', 'x', 'y')");

        var update = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE audit_log SET actor = 'b'"));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("DELETE FROM audit_log"));

        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
    }
}
