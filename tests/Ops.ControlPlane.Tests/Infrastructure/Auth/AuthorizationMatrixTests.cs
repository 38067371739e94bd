using System.Net;
using System.Net.Http.Headers;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Infrastructure.Auth;

public sealed class AuthorizationMatrixTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    /// <summary>Every route with the lowest role that may call it (DESIGN.md §7).</summary>
    public static TheoryData<string, string, string> Routes => new()
    {
        { "POST", "/api/v1/operations", Roles.Operator },
        { "GET", "/api/v1/operations", Roles.Viewer },
        { "GET", "/api/v1/operations/{op}", Roles.Viewer },
        { "POST", "/api/v1/operations/{op}/cancel", Roles.Operator },
        { "GET", "/api/v1/jobs/{job}", Roles.Viewer },
        { "GET", "/api/v1/jobs/{job}/output", Roles.Viewer },
        { "GET", "/api/v1/agents", Roles.Viewer },
        { "GET", "/api/v1/agents/{agent}", Roles.Viewer },
        { "POST", "/api/v1/agents/{agent}/revoke", Roles.Admin },
        { "POST", "/api/v1/enrollment-tokens", Roles.Admin },
        { "GET", "/api/v1/operation-kinds", Roles.Viewer },
        { "GET", "/api/v1/operation-kinds/host.disk", Roles.Viewer },
        { "GET", "/api/v1/audit", Roles.Admin },
        { "GET", "/api/v1/approvals", Roles.Viewer },
        { "GET", "/api/v1/approvals/{approval}", Roles.Viewer },
        { "POST", "/api/v1/approvals/{approval}/approve", Roles.Operator },
        { "POST", "/api/v1/approvals/{approval}/reject", Roles.Operator },
    };

    private async Task<HttpResponseMessage> CallAsync(HttpClient client, string method, string template)
    {
        // Fresh resources per call, so a call that succeeds (a cancel, a revoke) cannot change the next one's answer.
        var agent = await factory.SeedAgentAsync();
        var op = await factory.QueryScalarAsync<Guid>(
            "INSERT INTO operations (id, kind, parameters, target, status, priority, timeout_seconds, created_by, created_at, updated_at) VALUES (@id, 'agent.ping', '{}', '{}', 'queued', 50, 30, 'seed', now(), now()) RETURNING id",
            new { id = Guid.CreateVersion7() });
        var job = await factory.QueryScalarAsync<Guid>(
            "INSERT INTO jobs (id, operation_id, agent_id, kind, status, priority, created_at, queued_at, deadline_at) VALUES (@id, @op, @agent, 'agent.ping', 'queued', 50, now(), now(), now() + interval '1 minute') RETURNING id",
            new { id = Guid.CreateVersion7(), op, agent });
        // A mutating request of someone else, so an operator may decide it.
        var approval = await factory.QueryScalarAsync<Guid>(
            "INSERT INTO approvals (id, resource_type, resource_id, request, request_hash, risk, status, min_approvals, requested_by, requested_at, expires_at) VALUES (@id, 'operation', @op::text, '{}', '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', 'mutating', 'pending', 1, 'seed', now(), now() + interval '1 hour') RETURNING id",
            new { id = Guid.CreateVersion7(), op });
        var url = template.Replace("{op}", op.ToString(), StringComparison.Ordinal)
            .Replace("{approval}", approval.ToString(), StringComparison.Ordinal)
            .Replace("{job}", job.ToString(), StringComparison.Ordinal)
            .Replace("{agent}", agent.ToString(), StringComparison.Ordinal);
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "POST")
        {
            var body = template == "/api/v1/operations"
                ? $$$"""{"kind":"agent.ping","target":{"agentIds":["{{{agent}}}"]}}"""
                : "{}";
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_WithoutToken_Is401Problem(string method, string route, string minimumRole)
    {
        _ = minimumRole;
        await ProblemAssert.IsProblemAsync(await CallAsync(factory.CreateClient(role: null), method, route), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_WithABadToken_Is401(string method, string route, string minimumRole)
    {
        _ = minimumRole;
        var forged = factory.CreateClient(role: null);
        // Signed with another key: must not be accepted.
        var other = new TokenIssuer(
            new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes("another-key-another-key-another-key-123")),
            new AuthOptions(),
            TimeProvider.System);
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", other.Mint("mallory", Roles.Admin, TimeSpan.FromHours(1)));
        await ProblemAssert.IsProblemAsync(await CallAsync(forged, method, route), HttpStatusCode.Unauthorized);

        var garbage = factory.CreateClient(role: null);
        garbage.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not.a.jwt");
        await ProblemAssert.IsProblemAsync(await CallAsync(garbage, method, route), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_ForEachRole_AllowsThoseAtOrAboveTheMinimumAndForbidsTheRest(string method, string route, string minimumRole)
    {
        foreach (var role in Roles.Ordered)
        {
            var response = await CallAsync(factory.CreateClient(role), method, route);
            var allowed = Roles.AtLeast(minimumRole).Contains(role);
            if (allowed)
            {
                Assert.True(response.IsSuccessStatusCode, $"{role} on {method} {route}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            else
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
            }
        }
    }

    [Fact]
    public async Task ExpiredToken_Is401()
    {
        var issuer = new TokenIssuer(
            new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(OpsApiFactory.SigningKey)),
            new AuthOptions(),
            new FixedTimeProvider(DateTimeOffset.UtcNow.AddHours(-2)));
        var client = factory.CreateClient(role: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Mint("old", Roles.Admin, TimeSpan.FromMinutes(5)));
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/operations"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Health_NeedsNoToken()
    {
        var client = factory.CreateClient(role: null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("healthy", (await ready.ReadJsonAsync()).GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
