using System.Net;
using System.Text;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Runbooks;

/// <summary>
/// DESIGN.md §14 for runbook runs: a runbook with a destructive step (or an <c>approval</c> block)
/// runs only once a second person approved exactly that run; the requester can never decide.
/// </summary>
public sealed class RunbookApprovalTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private async Task<string> PutAsync(string document)
    {
        var name = "rb-" + Guid.NewGuid().ToString("N")[..10];
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{name}", new StringContent(document, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return name;
    }

    private async Task<(string RunId, string ApprovalId)> RequestRunAsync(string runbook, string requester)
    {
        var response = await factory.CreateClient(Roles.Operator, requester).PostJsonAsync($"/api/v1/runbooks/{runbook}/runs", new { parameters = new { } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = await response.ReadJsonAsync();
        Assert.Equal("pending_approval", run.GetProperty("status").GetString());
        var runId = run.GetProperty("id").GetString()!;
        var approvals = await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/approvals?status=pending&resourceType=runbook_run&resourceId={runId}")).ReadJsonAsync();
        var approval = Assert.Single(approvals.GetProperty("items").EnumerateArray());
        Assert.Equal(requester, approval.GetProperty("requestedBy").GetString());
        return (runId, approval.GetProperty("id").GetString()!);
    }

    private async Task<string> RunStatusAsync(string runId) =>
        (await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync()).GetProperty("status").GetString()!;

    [Fact]
    public async Task Run_OfARunbookWithARestoreStep_WaitsForASecondAdminAndStartsOnApproval()
    {
        var runbook = await PutAsync("""
            {"steps": [{"name": "restore", "kind": "postgres.restore", "target": {"labels": {"team": "nobody-here"}},
                        "parameters": {"database": "demo", "file": "demo-1.dump"}}]}
            """);
        var (runId, approvalId) = await RequestRunAsync(runbook, "alice");

        var self = await factory.CreateClient(Roles.Admin, "alice").PostJsonAsync($"/api/v1/approvals/{approvalId}/approve", new { });
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Equal("pending_approval", await RunStatusAsync(runId));

        var byBob = await factory.CreateClient(Roles.Admin, "bob").PostJsonAsync($"/api/v1/approvals/{approvalId}/approve", new { comment = "restore test" });

        Assert.Equal(HttpStatusCode.OK, byBob.StatusCode);
        var until = DateTime.UtcNow.AddSeconds(30);
        string status;
        while ((status = await RunStatusAsync(runId)) == "pending_approval" && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        // It started: no agent matches the step's target, so the step (and the run) fail, as any run would.
        Assert.NotEqual("pending_approval", status);
        Assert.NotEqual("rejected", status);
    }

    [Fact]
    public async Task Run_OfARunbookDeclaringApproval_IsRejectedByAnotherOperatorAndNeverRuns()
    {
        var runbook = await PutAsync("""
            {"approval": {"minApprovals": 1},
             "steps": [{"name": "ping", "kind": "agent.ping", "target": {"all": true}}]}
            """);
        var (runId, approvalId) = await RequestRunAsync(runbook, "carol");

        var reject = await factory.CreateClient(Roles.Operator, "dave").PostJsonAsync($"/api/v1/approvals/{approvalId}/reject", new { comment = "not today" });

        Assert.Equal(HttpStatusCode.OK, reject.StatusCode);
        Assert.Equal("rejected", await RunStatusAsync(runId));
        var run = await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync();
        Assert.All(run.GetProperty("steps").EnumerateArray(), s => Assert.True(s.GetProperty("operationId").ValueKind == System.Text.Json.JsonValueKind.Null));
    }
}
