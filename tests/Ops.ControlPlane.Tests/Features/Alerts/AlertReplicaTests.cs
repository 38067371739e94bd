using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.Features.Webhooks;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Alerts;

/// <summary>Two control-plane replicas on one database both evaluate every sample: still one alert and one event per change.</summary>
public sealed class AlertReplicaTests : IAsyncLifetime
{
    private readonly WebhookApiFactory _a = new();
    private WebhookApiFactory _b = null!;

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = new WebhookApiFactory { SharedConnectionString = _a.ConnectionString };
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_b).DisposeAsync();
        await ((IAsyncLifetime)_a).DisposeAsync();
    }

    [Fact]
    public async Task Samples_EvaluatedByTwoReplicas_FireAndResolveOnceEach()
    {
        var agents = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            agents.Add(await _a.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "replicas" }));
        }

        var response = await _a.CreateClient(Roles.Operator).PutAsJsonAsync("/api/v1/alert-rules/replica-cpu",
            new { metric = "cpu_percent", op = ">", threshold = 50, target = new { labels = new { suite = "replicas" } }, severity = "critical" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        async Task SampleAllAsync(double cpu, int rounds)
        {
            await using var connection = new NpgsqlConnection(_a.ConnectionString);
            await connection.OpenAsync();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var agent in agents)
                {
                    await using var command = new NpgsqlCommand("UPDATE agents SET last_seen_at = now(), last_stats = $2::jsonb WHERE id = $1", connection);
                    command.Parameters.AddWithValue(agent);
                    command.Parameters.AddWithValue(JsonSerializer.Serialize(new { cpuPercent = cpu + round, memoryUsedBytes = 1, memoryTotalBytes = 2, load1 = 0.1 }));
                    await command.ExecuteNonQueryAsync();
                }
            }
        }

        await SampleAllAsync(90, rounds: 5);
        await Wait.UntilAsync(async () => await _a.QueryScalarAsync<long>("SELECT count(*) FROM alerts WHERE rule_name = 'replica-cpu' AND state = 'firing'") == 5, "five firing alerts");
        await SampleAllAsync(10, rounds: 5);
        await Wait.UntilAsync(async () => await _a.QueryScalarAsync<long>("SELECT count(*) FROM alerts WHERE rule_name = 'replica-cpu' AND state = 'resolved'") == 5, "five resolved alerts");

        Assert.Equal(5, await _a.QueryScalarAsync<long>("SELECT count(*) FROM alerts WHERE rule_name = 'replica-cpu'"));
        Assert.Equal(5, await _a.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'alert.firing'"));
        Assert.Equal(5, await _a.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'alert.resolved'"));
    }
}
