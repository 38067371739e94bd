using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using static Ops.ControlPlane.Tests.Features.Approvals.ApprovalTestSupport;

namespace Ops.ControlPlane.Tests.Features.Approvals;

/// <summary>The control plane on a fake clock (its own database), so 24 hours pass at once.</summary>
public sealed class FakeClockApiFactory : OpsApiFactory
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>
    /// A client whose token is minted on the real clock (JWT validation uses it, not the fake one),
    /// so it stays valid however far the fake clock has been moved.
    /// </summary>
    public HttpClient LongLivedClient(string role, string subject)
    {
        var issuer = new TokenIssuer(
            new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(SigningKey)), new AuthOptions(), TimeProvider.System);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Mint(subject, role, TimeSpan.FromDays(3)));
        return client;
    }
}

public sealed class ApprovalExpiryTests(FakeClockApiFactory factory) : IClassFixture<FakeClockApiFactory>
{
    [Fact]
    public async Task Expiry_WithTooFewApprovals_EndsItExpiredAndNothingRuns()
    {
        var agent = await factory.SeedAgentAsync(capabilities: ["postgres.restore"]);
        var alice = factory.LongLivedClient(Roles.Operator, "alice");
        var bob = factory.LongLivedClient(Roles.Admin, "bob");
        var viewer = factory.LongLivedClient(Roles.Viewer, "vera");
        var operation = await RequestRestoreAsync(alice, new { agentIds = new[] { agent } });
        var operationId = operation.GetProperty("id").GetGuid();
        var approvalId = operation.GetProperty("approvalId").GetGuid();

        factory.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal("pending", (await GetAsync(viewer, $"/api/v1/approvals/{approvalId}")).GetProperty("status").GetString());
        factory.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        await EventuallyAsync(
            async () => (await GetAsync(viewer, $"/api/v1/approvals/{approvalId}")).GetProperty("status").GetString() == "expired",
            "the approval to expire");
        var expired = await GetAsync(viewer, $"/api/v1/operations/{operationId}");
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        var job = Assert.Single(expired.GetProperty("jobs").EnumerateArray());
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Contains("expired", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("leasedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("startedAt").ValueKind);

        var late = await ProblemAssert.IsProblemAsync(await DecideAsync(bob, approvalId, "approve"), HttpStatusCode.Conflict);
        Assert.Contains("expired", late.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("expired", (await GetAsync(viewer, $"/api/v1/operations/{operationId}")).GetProperty("status").GetString());
        Assert.Equal(0, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs WHERE operation_id = @operationId AND status <> 'cancelled'", new { operationId }));
        var hash = await factory.QueryScalarAsync<string>("SELECT request_hash FROM approvals WHERE id = @approvalId", new { approvalId });
        Assert.Equal(hash, await factory.QueryScalarAsync<string>(
            "SELECT details->>'requestHash' FROM audit_log WHERE action = 'approval.expire' AND resource_id = @id", new { id = approvalId.ToString() }));
        Assert.Equal("expired", await factory.QueryScalarAsync<string>(
            "SELECT data->>'status' FROM events WHERE type = 'approval.decided' AND resource_id = @id", new { id = approvalId.ToString() }));
    }

    [Fact]
    public async Task Expiry_WithTwoReplicasOnOneDatabase_HappensOnce()
    {
        await using var second = new FakeClockApiFactory { SharedConnectionString = factory.ConnectionString };
        await second.InitializeAsync();
        // The two replicas' clocks agree (FakeTimeProvider never goes back: move the one behind).
        var now = new[] { factory.Clock.GetUtcNow(), second.Clock.GetUtcNow() }.Max();
        factory.Clock.SetUtcNow(now);
        second.Clock.SetUtcNow(now);
        var agent = await factory.SeedAgentAsync(capabilities: ["postgres.restore"]);
        var viewer = factory.LongLivedClient(Roles.Viewer, "vera");
        var approvalIds = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var client = (i % 2 == 0 ? factory : second).LongLivedClient(Roles.Operator, "alice");
            approvalIds.Add((await RequestRestoreAsync(client, new { agentIds = new[] { agent } }, $"demo-replicas-{i}.dump")).GetProperty("approvalId").GetGuid());
        }

        var step = TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1);
        factory.Clock.Advance(step);
        second.Clock.Advance(step);

        foreach (var approvalId in approvalIds)
        {
            await EventuallyAsync(
                async () => (await GetAsync(viewer, $"/api/v1/approvals/{approvalId}")).GetProperty("status").GetString() == "expired",
                $"approval {approvalId} to expire");
        }

        var ids = approvalIds.Select(a => a.ToString()).ToArray();
        Assert.Equal(5, await factory.QueryScalarAsync<int>(
            "SELECT count(*)::int FROM audit_log WHERE action = 'approval.expire' AND resource_id = ANY(@ids)", new { ids }));
        Assert.Equal(5, await factory.QueryScalarAsync<int>(
            "SELECT count(*)::int FROM events WHERE type = 'approval.decided' AND resource_id = ANY(@ids)", new { ids }));
    }
}
