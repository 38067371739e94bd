using System.Net;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.Operations;

public sealed class IdempotencyTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private static HttpRequestMessage Post(string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/operations")
        {
            Content = System.Net.Http.Json.JsonContent.Create(body, options: Ops.Contracts.Json.OpsJson.Default),
        };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task Create_SameKeyAndBody_ReturnsTheOriginalOperationAndQueuesNothingNew()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator, "bob");
        var body = new { kind = "agent.ping", target = new { agentIds = new[] { agent } } };

        var first = await client.SendAsync(Post("nightly-1", body));
        var second = await client.SendAsync(Post("nightly-1", body));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var id = (await first.ReadJsonAsync()).GetProperty("id").GetGuid();
        Assert.Equal(id, (await second.ReadJsonAsync()).GetProperty("id").GetGuid());
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs WHERE agent_id = @agent", new { agent }));
    }

    [Fact]
    public async Task Create_SameKeyDifferentBody_Is409AndTheOriginalIsUntouched()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator, "carol");
        var first = await client.SendAsync(Post("k-409", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } }));

        var conflict = await client.SendAsync(Post("k-409", new { kind = "host.disk", target = new { agentIds = new[] { agent } } }));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await ProblemAssert.IsProblemAsync(conflict, HttpStatusCode.Conflict);
        Assert.Equal(1, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE idempotency_key = 'k-409'"));
    }

    [Fact]
    public async Task Create_SameKeyFromAnotherCaller_IsANewOperation()
    {
        var agent = await factory.SeedAgentAsync();
        var body = new { kind = "agent.ping", target = new { agentIds = new[] { agent } } };

        var dave = await (await factory.CreateClient(Roles.Operator, "dave").SendAsync(Post("shared", body))).ReadJsonAsync();
        var erin = await (await factory.CreateClient(Roles.Operator, "erin").SendAsync(Post("shared", body))).ReadJsonAsync();

        Assert.NotEqual(dave.GetProperty("id").GetGuid(), erin.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Create_ConcurrentRetriesWithOneKey_CreateExactlyOneOperation()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator, "frank");
        var body = new { kind = "agent.ping", target = new { agentIds = new[] { agent } } };

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendAsync(Post("burst", body))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.ReadJsonAsync()).GetProperty("id").GetGuid()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs WHERE agent_id = @agent", new { agent }));
    }

    [Fact]
    public async Task Create_WithAnOverlongKey_IsA400NamingTheHeader()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator);
        await ProblemAssert.HasFieldErrorAsync(
            await client.SendAsync(Post(new string('k', 201), new { kind = "agent.ping", target = new { agentIds = new[] { agent } } })),
            "Idempotency-Key");
    }
}
