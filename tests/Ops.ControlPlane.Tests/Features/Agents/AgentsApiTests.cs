using System.Net;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.Agents;

public sealed class AgentsApiTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    [Fact]
    public async Task Get_ShowsInventoryAndOnlineStatus()
    {
        var id = await factory.SeedAgentAsync(new Dictionary<string, string> { ["env"] = "dev" });
        var agent = await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/agents/{id}")).ReadJsonAsync();

        Assert.Equal("online", agent.GetProperty("status").GetString());
        Assert.Equal("dev", agent.GetProperty("labels").GetProperty("env").GetString());
        Assert.Contains("host.disk", agent.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.False(string.IsNullOrEmpty(agent.GetProperty("hostname").GetString()));
    }

    [Fact]
    public async Task Revoke_EndsTheAgentsUnfinishedJobsAndShowsItRevoked()
    {
        var id = await factory.SeedAgentAsync();
        var op = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { id } } });
        var opId = (await op.ReadJsonAsync()).GetProperty("id").GetGuid();

        var revoked = await factory.CreateClient(Roles.Admin).PostAsync($"/api/v1/agents/{id}/revoke", null);

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("revoked", (await revoked.ReadJsonAsync()).GetProperty("status").GetString());
        var operation = await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/operations/{opId}")).ReadJsonAsync();
        Assert.Equal("cancelled", operation.GetProperty("status").GetString());
        await ProblemAssert.IsProblemAsync(await factory.CreateClient(Roles.Admin).PostAsync($"/api/v1/agents/{Guid.NewGuid()}/revoke", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_PagesThroughEveryAgentOnce()
    {
        for (var i = 0; i < 5; i++)
        {
            await factory.SeedAgentAsync();
        }

        var client = factory.CreateClient(Roles.Viewer);
        var total = await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM agents");
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await (await client.GetAsync("/api/v1/agents?limit=2" + (cursor is null ? string.Empty : $"&cursor={cursor}"))).ReadJsonAsync();
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(total, ids.Distinct().Count());
        Assert.Equal(total, ids.Count);
    }
}
