using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Auth;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>Order per webhook under a burst, with two control-plane replicas dispatching from one database.</summary>
public sealed class WebhookBurstTests : IAsyncLifetime
{
    private readonly WebhookApiFactory _a = new();
    private WebhookApiFactory _b = null!;
    private readonly WireMockServer _receiver = WireMockServer.Start();

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = new WebhookApiFactory { SharedConnectionString = _a.ConnectionString };
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        _receiver.Stop();
        await ((IAsyncLifetime)_b).DisposeAsync();
        await ((IAsyncLifetime)_a).DisposeAsync();
    }

    [Fact]
    public async Task Burst_Of1000Events_ArrivesInOrderOncePerWebhookAcrossTwoReplicas()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var admin = _a.CreateClient(Roles.Admin);
        foreach (var name in new[] { "first", "second" })
        {
            var response = await admin.PutAsJsonAsync($"/api/v1/webhooks/{name}", new { url = $"{_receiver.Urls[0]}/{name}", events = new[] { "operation.succeeded" } });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // 1,000 state changes committed one after another (as 1,000 operations finishing would), in bursts of 100 per transaction.
        await using (var connection = new NpgsqlConnection(_a.ConnectionString))
        {
            await connection.OpenAsync();
            for (var batch = 0; batch < 10; batch++)
            {
                await using var command = new NpgsqlCommand(
                    "SELECT emit_event('operation.succeeded', 'operation', n::text, jsonb_build_object('n', n)) FROM generate_series($1, $1 + 99) AS n ORDER BY n",
                    connection);
                command.Parameters.AddWithValue(batch * 100 + 1);
                await command.ExecuteNonQueryAsync();
            }
        }

        await Wait.UntilAsync(() => _receiver.Received("/first").Count >= 1000 && _receiver.Received("/second").Count >= 1000, "2,000 deliveries", TimeSpan.FromMinutes(4));
        await Wait.UntilAsync(
            async () => await _a.QueryScalarAsync<long>("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'") == 2000,
            "every delivery recorded");
        foreach (var name in new[] { "first", "second" })
        {
            var received = _receiver.Received($"/{name}").Select(e => e.Json().GetProperty("data").GetProperty("n").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(1, 1000), received);
        }

        Assert.Equal(0, await _a.QueryScalarAsync<long>("SELECT count(*) FROM webhook_deliveries WHERE attempts <> 1"));
    }
}
