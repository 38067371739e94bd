using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Http;

/// <summary>
/// A transient database failure is 503 with <c>Retry-After</c> and problem details on REST, never
/// a 500 (issue 16 item 3): the control plane runs on its own embedded cluster, which the test
/// stops and starts again; what was accepted before the outage is still there after it.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private readonly EmbeddedPostgres _cluster = new(
        new EmbeddedPostgresOptions(Path.Combine(Path.GetTempPath(), $"ops-tests-outage-{Guid.NewGuid():N}"[..40], "pg"), Durable: false),
        NullLogger<EmbeddedPostgres>.Instance);

    private OpsApiFactory _factory = null!;

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync(CancellationToken.None);
        _factory = new OpsApiFactory { SharedConnectionString = _cluster.GetConnectionString() };
        await _factory.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_factory).DisposeAsync();
        await _cluster.StopAsync(CancellationToken.None);
        try
        {
            Directory.Delete(Path.GetDirectoryName(_cluster.RootDirectory)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Requests_WhileTheDatabaseIsDown_Are503WithRetryAfterAndNothingAcceptedIsLost()
    {
        var agentId = await _factory.SeedAgentAsync();
        var client = _factory.CreateClient(Roles.Operator);
        var body = new { kind = "agent.ping", target = new { agentIds = new[] { agentId } } };
        var accepted = await client.PostJsonAsync("/api/v1/operations", body);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var acceptedId = (await accepted.ReadJsonAsync()).GetProperty("id").GetString();

        await _cluster.StopAsync(CancellationToken.None);

        var post = await client.PostJsonAsync("/api/v1/operations", body);
        var list = await client.GetAsync("/api/v1/operations");
        var ready = await client.GetAsync("/health/ready");
        foreach (var response in new[] { post, list })
        {
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {response.Headers.RetryAfter}");
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        await _cluster.StartAsync(CancellationToken.None);

        // After the restart, a client that retries with an Idempotency-Key gets exactly one operation.
        var key = Guid.NewGuid().ToString();
        HttpResponseMessage? created = null;
        for (var i = 0; i < 60 && created?.StatusCode != HttpStatusCode.Accepted; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/operations") { Content = System.Net.Http.Json.JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            created = await client.SendAsync(request);
            Assert.True(created.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, $"{(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            if (created.StatusCode != HttpStatusCode.Accepted)
            {
                await Task.Delay(500);
            }
        }

        Assert.Equal(HttpStatusCode.Accepted, created!.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/operations/{acceptedId}")).StatusCode);
        Assert.Equal(1, await _factory.QueryScalarAsync<long>("SELECT count(*) FROM operations WHERE idempotency_key = @key", new { key }));
    }
}
