using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.Agent.Tests.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster per test class (the control plane's embedded component), with a
/// template database holding examples/demo/manalytics.sql (seed 000's schema and rows), so each
/// test gets its own copy in milliseconds.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string Template = "demo_template";
    private readonly string root = Path.Combine("/tmp", "ops-agent-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private EmbeddedPostgres server = null!;
    private int counter;

    /// <summary>A scratch folder for backups, under /tmp, removed with the cluster.</summary>
    public string NewDirectory()
    {
        var directory = Path.Combine(root + "-files", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    public async Task InitializeAsync()
    {
        server = new EmbeddedPostgres(new EmbeddedPostgresOptions(root, Durable: false), NullLogger<EmbeddedPostgres>.Instance);
        await server.StartAsync(CancellationToken.None);
        await server.CreateDatabaseAsync(Template, CancellationToken.None);
        await using var connection = await OpenAsync(Template); // not pooled: a template must have no session
        await using var load = new NpgsqlCommand(await File.ReadAllTextAsync(FindDemoSql()), connection) { CommandTimeout = 120 };
        await load.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await server.StopAsync(CancellationToken.None);
        foreach (var directory in new[] { root, root + "-files" })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Creates a fresh copy of the demo database and returns its server-side name.</summary>
    public async Task<string> CreateDemoDatabaseAsync()
    {
        var name = "demo_" + Interlocked.Increment(ref counter);
        await using var connection = await OpenAsync("postgres");
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE {Template}", connection);
        await create.ExecuteNonQueryAsync();
        return name;
    }

    public string ConnectionString(string database) => server.GetConnectionString(database);

    public async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// An agent policy: <c>Postgres</c> with the policy database <paramref name="policyName"/> pointing
    /// at <paramref name="database"/>, the backup folder and the 15 client binaries, plus extra keys.
    /// </summary>
    public IConfiguration Policy(string policyName, string database, string? backupDirectory = null, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Postgres:BinDirectory"] = FindClientBin(),
            ["Postgres:BackupDirectory"] = backupDirectory,
            [$"Postgres:Databases:{policyName}:ConnectionString"] = ConnectionString(database),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private static string FindClientBin() =>
        Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_dump"))).Order().Last();

    private static string FindDemoSql()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "examples", "demo", "manalytics.sql");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("examples/demo/manalytics.sql not found above " + AppContext.BaseDirectory);
    }
}
