using Microsoft.Extensions.Logging.Abstractions;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// One throwaway PostgreSQL cluster per test run, from the same <see cref="EmbeddedPostgres"/>
/// component the control plane uses, non-durable for speed, in <c>/tmp/ops-tests-*</c>. Every
/// test class gets its own database in it. Stopped when the test process exits.
/// </summary>
internal static class TestCluster
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Cluster = new(StartAsync);

    public static Task<EmbeddedPostgres> GetAsync() => Cluster.Value;

    /// <summary>A new, empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var cluster = await GetAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)].ToLowerInvariant();
        await cluster.CreateDatabaseAsync(name, CancellationToken.None);
        return cluster.GetConnectionString(name);
    }

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"ops-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40], "pg");
        var cluster = new EmbeddedPostgres(new EmbeddedPostgresOptions(root, Durable: false), NullLogger<EmbeddedPostgres>.Instance);
        await cluster.StartAsync(CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            cluster.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            try
            {
                Directory.Delete(Path.GetDirectoryName(root)!, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return cluster;
    }
}
