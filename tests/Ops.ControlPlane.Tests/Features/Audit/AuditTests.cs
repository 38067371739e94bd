using System.Net;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.Audit;

public sealed class AuditTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private async Task<System.Text.Json.JsonElement> LatestAsync(string action, string resourceId)
    {
        var admin = factory.CreateClient(Roles.Admin, "auditor");
        var page = await (await admin.GetAsync($"/api/v1/audit?action={action}&limit=500")).ReadJsonAsync();
        return page.GetProperty("items").EnumerateArray().First(i => i.GetProperty("resourceId").GetString() == resourceId);
    }

    [Fact]
    public async Task EveryMutation_AppendsWhoWhatTargetWhenWhereAndTrace()
    {
        var agent = await factory.SeedAgentAsync();
        var operatorClient = factory.CreateClient(Roles.Operator, "olivia");
        var adminClient = factory.CreateClient(Roles.Admin, "adam");
        var traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/operations")
        {
            Content = new StringContent($$$"""{"kind":"agent.ping","target":{"agentIds":["{{{agent}}}"]}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        create.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");

        var op = (await (await operatorClient.SendAsync(create)).ReadJsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync($"/api/v1/operations/{op}/cancel", null)).StatusCode);
        var token = (await (await adminClient.PostJsonAsync("/api/v1/enrollment-tokens", new { maxUses = 2 })).ReadJsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await adminClient.PostAsync($"/api/v1/agents/{agent}/revoke", null)).StatusCode);

        var created = await LatestAsync("operation.create", op);
        Assert.Equal("olivia", created.GetProperty("actor").GetString());
        Assert.Equal("operator", created.GetProperty("actorRole").GetString());
        Assert.Equal("operation", created.GetProperty("resourceType").GetString());
        Assert.Equal(traceId, created.GetProperty("traceId").GetString());
        Assert.True(DateTimeOffset.UtcNow - created.GetProperty("at").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
        Assert.Equal("agent.ping", created.GetProperty("details").GetProperty("kind").GetString());

        Assert.Equal("olivia", (await LatestAsync("operation.cancel", op)).GetProperty("actor").GetString());
        Assert.Equal("adam", (await LatestAsync("enrollment_token.create", token)).GetProperty("actor").GetString());
        Assert.Equal("adam", (await LatestAsync("agent.revoke", agent.ToString())).GetProperty("actor").GetString());
    }

    [Fact]
    public async Task EnrollmentToken_IsShownOnceAndStoredOnlyAsItsHash()
    {
        var admin = factory.CreateClient(Roles.Admin);
        var created = await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { labels = new { env = "prod" }, expiresInMinutes = 30, maxUses = 5 })).ReadJsonAsync();
        var token = created.GetProperty("token").GetString()!;
        var id = created.GetProperty("id").GetGuid();

        Assert.StartsWith("opsenr_", token, StringComparison.Ordinal);
        Assert.Equal(5, created.GetProperty("maxUses").GetInt32());
        var stored = await factory.QueryScalarAsync<byte[]>("SELECT token_hash FROM enrollment_tokens WHERE id = @id", new { id });
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)), stored);
        var rowText = await factory.QueryScalarAsync<string>("SELECT row_to_json(t)::text FROM enrollment_tokens t WHERE id = @id", new { id });
        Assert.DoesNotContain(token, rowText, StringComparison.Ordinal);
        var audit = await (await admin.GetAsync("/api/v1/audit?action=enrollment_token.create&limit=500")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(token, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditList_PagesNewestFirstWithoutDuplicates()
    {
        var admin = factory.CreateClient(Roles.Admin, "pager");
        for (var i = 0; i < 5; i++)
        {
            await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { });
        }

        var ids = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync("/api/v1/audit?actor=pager&limit=2" + (cursor is null ? string.Empty : $"&cursor={cursor}"))).ReadJsonAsync();
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(5, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
    }
}
