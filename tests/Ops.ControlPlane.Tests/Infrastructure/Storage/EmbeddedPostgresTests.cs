using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Storage;
using Xunit;

namespace Ops.ControlPlane.Tests.Infrastructure.Storage;

public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"ops-embedded-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private EmbeddedPostgres Create(string? bin = null) =>
        new(new EmbeddedPostgresOptions(Path.Combine(_root, "pg"), bin, Durable: false), NullLogger<EmbeddedPostgres>.Instance);

    private static async Task<long> CountRowsAsync(EmbeddedPostgres pg)
    {
        await using var connection = new NpgsqlConnection(pg.GetConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM kept", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Start_AfterStop_KeepsTheDataAndListensOnlyOnItsSocket()
    {
        var pg = Create();
        await pg.StartAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(pg.GetConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE kept (v int); INSERT INTO kept VALUES (1), (2); SHOW listen_addresses", connection);
            Assert.Equal(string.Empty, (string?)await command.ExecuteScalarAsync());
        }

        await pg.StopAsync(CancellationToken.None);
        Assert.False(File.Exists(Path.Combine(pg.RootDirectory, "data", "postmaster.pid")));

        var again = Create();
        await again.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(2, await CountRowsAsync(again));
        }
        finally
        {
            await again.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Start_WhenAPreviousRunCrashedAndLeftItsServerRunning_TakesOver()
    {
        var crashed = Create();
        await crashed.StartAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(crashed.GetConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)", connection);
            await command.ExecuteNonQueryAsync();
        }

        NpgsqlConnection.ClearAllPools();
        // No StopAsync: the server of the "crashed" run is still up with its postmaster.pid.
        var next = Create();
        await next.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(1, await CountRowsAsync(next));
        }
        finally
        {
            await next.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Start_WithAStalePidFileOfADeadProcess_RemovesItAndStarts()
    {
        var first = Create();
        await first.StartAsync(CancellationToken.None);
        await using (var connection = new NpgsqlConnection(first.GetConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE kept (v int)", connection);
            await command.ExecuteNonQueryAsync();
        }

        await first.StopAsync(CancellationToken.None);
        using (var dead = Process.Start(new ProcessStartInfo("true")))
        {
            dead!.WaitForExit();
            var pidFile = Path.Combine(first.RootDirectory, "data", "postmaster.pid");
            await File.WriteAllTextAsync(pidFile, $"{dead.Id}\n{Path.Combine(first.RootDirectory, "data")}\n0\n5432\n");
        }

        var next = Create();
        await next.StartAsync(CancellationToken.None);
        try
        {
            Assert.Equal(0, await CountRowsAsync(next));
        }
        finally
        {
            await next.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void FindBinDirectory_WhenTheConfiguredFolderHasNoServer_SaysWhatIsMissing()
    {
        var ex = Assert.Throws<EmbeddedPostgresException>(() => EmbeddedPostgres.FindBinDirectory("/nonexistent/bin"));
        Assert.Contains("initdb", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/bin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AsRootUnderAFolderClosedToPostgres_NamesTheFolderAndTheFix()
    {
        Assert.True(Environment.IsPrivilegedProcess, "The test suite runs as root (./ops test), as the embedded mode's user switch requires.");
        var closed = Path.Combine(_root, "closed");
        Directory.CreateDirectory(closed);
        File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pg = new EmbeddedPostgres(new EmbeddedPostgresOptions(Path.Combine(closed, "pg")), NullLogger<EmbeddedPostgres>.Instance);

        var ex = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => pg.StartAsync(CancellationToken.None));

        Assert.Contains("'postgres'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"chmod o+x {_root}", ex.Message, StringComparison.Ordinal);
    }
}
