using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.EnrollmentTokens;

/// <summary>
/// Listing and revoking enrollment tokens (issue 16 item 10): admin only, never the secret,
/// revocation audited and effective at the next enrollment; revoking an agent leaves its token.
/// </summary>
public sealed class EnrollmentTokensTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private async Task<(Guid Id, string Token)> CreateTokenAsync(object body)
    {
        var created = await (await factory.CreateClient(Roles.Admin).PostJsonAsync("/api/v1/enrollment-tokens", body)).ReadJsonAsync();
        return (created.GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!);
    }

    private Task<(Guid AgentId, string AgentToken)> EnrollAsync(string token) =>
        factory.Services.GetRequiredService<AgentEnrollment>().EnrollAsync(
            new EnrollRequest { EnrollmentToken = token, Hostname = "db-1", AgentVersion = "0.1.0-test" }, "test", CancellationToken.None);

    private async Task<JsonElement> FindAsync(Guid id)
    {
        var page = await (await factory.CreateClient(Roles.Admin).GetAsync("/api/v1/enrollment-tokens?limit=500")).ReadJsonAsync();
        return page.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public async Task List_AsAdmin_ShowsEveryFieldButTheSecret_NewestFirst()
    {
        var (older, _) = await CreateTokenAsync(new { labels = new { role = "db" }, maxUses = 3, expiresInMinutes = 30 });
        var (newer, secret) = await CreateTokenAsync(new { });

        var response = await factory.CreateClient(Roles.Admin).GetAsync("/api/v1/enrollment-tokens?limit=500");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        var items = (await response.ReadJsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.True(items.FindIndex(t => t.GetProperty("id").GetGuid() == newer) < items.FindIndex(t => t.GetProperty("id").GetGuid() == older));
        var token = await FindAsync(older);
        Assert.False(token.TryGetProperty("token", out _));
        Assert.Equal("db", token.GetProperty("labels").GetProperty("role").GetString());
        Assert.Equal(3, token.GetProperty("maxUses").GetInt32());
        Assert.Equal(0, token.GetProperty("uses").GetInt32());
        Assert.Equal("tester", token.GetProperty("createdBy").GetString());
        Assert.True(token.GetProperty("expiresAt").GetDateTimeOffset() > token.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, token.GetProperty("revokedAt").ValueKind);
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("operator")]
    public async Task ListAndRevoke_BelowAdmin_AreForbidden(string role)
    {
        var (id, _) = await CreateTokenAsync(new { });
        var client = factory.CreateClient(role);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/enrollment-tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync($"/api/v1/enrollment-tokens/{id}")).StatusCode);
        Assert.Equal(JsonValueKind.Null, (await FindAsync(id)).GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Delete_RevokesTheToken_AuditedOnce_AndItNoLongerEnrolls()
    {
        var (id, token) = await CreateTokenAsync(new { maxUses = 5 });
        var agentsBefore = await factory.QueryScalarAsync<long>("SELECT count(*) FROM agents");
        var admin = factory.CreateClient(Roles.Admin);

        var first = await admin.DeleteAsync($"/api/v1/enrollment-tokens/{id}");
        var again = await admin.DeleteAsync($"/api/v1/enrollment-tokens/{id}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var revokedAt = (await first.ReadJsonAsync()).GetProperty("revokedAt").GetDateTimeOffset();
        Assert.Equal(revokedAt, (await again.ReadJsonAsync()).GetProperty("revokedAt").GetDateTimeOffset());
        await Assert.ThrowsAnyAsync<Exception>(() => EnrollAsync(token));
        Assert.Equal(agentsBefore, await factory.QueryScalarAsync<long>("SELECT count(*) FROM agents"));
        Assert.Equal(0, (await FindAsync(id)).GetProperty("uses").GetInt32());
        Assert.Equal(1, await factory.QueryScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'enrollment_token.revoke' AND resource_id = @id", new { id = id.ToString() }));
    }

    [Fact]
    public async Task Delete_OfAnUnknownToken_Is404Problem()
    {
        var response = await factory.CreateClient(Roles.Admin).DeleteAsync($"/api/v1/enrollment-tokens/{Guid.NewGuid()}");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RevokingAnAgent_LeavesTheTokenThatEnrolledItUsable()
    {
        var (id, token) = await CreateTokenAsync(new { maxUses = 2 });
        var (agentId, _) = await EnrollAsync(token);

        var revoke = await factory.CreateClient(Roles.Admin).PostAsync($"/api/v1/agents/{agentId}/revoke", null);

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var listed = await FindAsync(id);
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("revokedAt").ValueKind);
        Assert.Equal(1, listed.GetProperty("uses").GetInt32());
        var (second, _) = await EnrollAsync(token);
        Assert.NotEqual(agentId, second);
    }
}
