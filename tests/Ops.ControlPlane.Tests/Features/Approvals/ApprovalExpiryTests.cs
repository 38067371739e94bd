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

    /// <summary>A client whose token stays valid however far the fake clock is moved (three days).</summary>
    public HttpClient LongLivedClient(string role, string subject)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", MintToken(role, subject, TimeSpan.FromDays(3)));
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
}
