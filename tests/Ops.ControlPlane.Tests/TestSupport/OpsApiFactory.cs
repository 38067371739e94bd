using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// The real control plane in-process (eShop's CatalogApiFixture): its own database in the test
/// cluster, authentication on with a test signing key, and clients that carry real minted JWTs.
/// </summary>
public class OpsApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string SigningKey = "test-signing-key-of-at-least-32-bytes-0123456789";
    private string _connectionString = string.Empty;
    private readonly string _home = Path.Combine(Path.GetTempPath(), $"ops-home-{Guid.NewGuid():N}");

    public string ConnectionString => _connectionString;

    /// <summary>The REST address when the host listens on real sockets; <c>null</c> for the in-memory server.</summary>
    protected virtual Uri? RestBaseAddress => null;

    /// <summary>Extra settings for derived fixtures (ports, protocol timings).</summary>
    protected Dictionary<string, string?> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>Uses this connection string instead of a new database (a second replica on the same database).</summary>
    public string? SharedConnectionString { get; init; }

    public virtual async Task InitializeAsync()
    {
        _connectionString = SharedConnectionString ?? await TestCluster.CreateDatabaseAsync("api");
        StartHost();
    }

    /// <summary>Starts the host (and runs the migrations); the in-memory test server by default.</summary>
    protected virtual void StartHost() => _ = Server;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Ops", _connectionString);
        builder.UseSetting("Auth:SigningKey", SigningKey);
        builder.UseSetting("OpsHome", _home);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A real JWT for <paramref name="subject"/> with <paramref name="role"/>.</summary>
    public string MintToken(string role, string subject = "tester", TimeSpan? lifetime = null) =>
        Services.GetRequiredService<TokenIssuer>().Mint(subject, role, lifetime ?? TimeSpan.FromHours(1));

    /// <summary>A client authenticated as <paramref name="role"/>; <c>null</c> for none.</summary>
    public HttpClient CreateClient(string? role, string subject = "tester")
    {
        var client = CreateClient();
        if (RestBaseAddress is { } address)
        {
            client.BaseAddress = address;
        }

        if (role is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", MintToken(role, subject));
        }

        return client;
    }

    /// <summary>Inserts an enrolled agent directly (enrollment over gRPC is tested with the agent protocol).</summary>
    public async Task<Guid> SeedAgentAsync(IReadOnlyDictionary<string, string>? labels = null, string[]? capabilities = null, bool revoked = false)
    {
        var id = Guid.CreateVersion7();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.ExecuteAsync(
            """
            INSERT INTO agents (id, hostname, labels, agent_version, capabilities, token_hash, enrolled_at, last_seen_at, revoked_at)
            VALUES (@id, @hostname, @labels::jsonb, '0.1.0', @capabilities, @hash, now(), now(), CASE WHEN @revoked THEN now() END)
            """,
            new
            {
                id,
                hostname = $"host-{id.ToString()[^6..]}",
                labels = System.Text.Json.JsonSerializer.Serialize(labels ?? new Dictionary<string, string>()),
                capabilities = capabilities ?? ["agent.ping", "host.disk"],
                hash = SecretTokens.Hash(Guid.NewGuid().ToString()),
                revoked,
            });
        return id;
    }

    /// <summary>Runs a query against this factory's database.</summary>
    public async Task<T> QueryScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException("null result");
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).ToList();
    }
}
