using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Storage;

/// <summary>
/// The data source does not reset pooled connections with DISCARD ALL (docs/performance.md):
/// what a connection carries back to the pool must never reach its next user.
/// </summary>
public sealed class PooledConnectionTests
{
    private static async Task<NpgsqlDataSource> OneConnectionPoolAsync() =>
        StorageExtensions.BuildDataSource(
            new NpgsqlConnectionStringBuilder(await TestCluster.CreateDatabaseAsync("pool")) { MaxPoolSize = 1 }.ConnectionString,
            NullLoggerFactory.Instance);

    [Fact]
    public async Task Connection_ReturnedInsideAFailedRawTransaction_IsRolledBackForItsNextUser()
    {
        await using var dataSource = await OneConnectionPoolAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands = { new("BEGIN"), new("CREATE TABLE left_behind (id int)"), new("SELECT 1 / 0"), new("COMMIT") },
            };
            await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var check = new NpgsqlCommand("SELECT to_regclass('left_behind') IS NULL, pg_backend_pid()", connection);
            await using var reader = await check.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(reader.GetBoolean(0));
        }
    }

    [Fact]
    public async Task Connection_ReturnedInsideAnOpenRawTransaction_IsRolledBackAndItsLocalSettingsAreGone()
    {
        await using var dataSource = await OneConnectionPoolAsync();
        int pid;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands = { new("BEGIN"), new("SELECT pg_backend_pid()"), new("SELECT set_config('ops.wakeups', 'app', true)"), new("CREATE TABLE left_open (id int)") },
            };
            pid = (int)(await batch.ExecuteScalarAsync())!;
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var check = new NpgsqlCommand(
                "SELECT to_regclass('left_open') IS NULL, coalesce(current_setting('ops.wakeups', true), '') = '', pg_backend_pid()", connection);
            await using var reader = await check.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(pid, reader.GetInt32(2)); // the same pooled connection, not a new one
            Assert.True(reader.GetBoolean(0));
            Assert.True(reader.GetBoolean(1));
        }
    }
}
