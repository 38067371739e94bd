using System.Net;
using System.Text.Json;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using static Ops.ControlPlane.Tests.Features.Approvals.ApprovalTestSupport;

namespace Ops.ControlPlane.Tests.Features.Approvals;

public sealed class ApprovalRunTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    [Fact]
    public async Task Restore_RequestedByAnOperatorAndApprovedByASecondAdmin_IsDeliveredToItsAgentAndSucceeds()
    {
        var (agentId, agent) = await factory.EnrollAgentAsync(capabilities: ["postgres.restore", "agent.ping"]);
        var operation = await RequestRestoreAsync(factory.CreateClient(Roles.Operator, "alice"), new { agentIds = new[] { Guid.Parse(agentId) } });
        var operationId = operation.GetProperty("id").GetString();
        var approvalId = operation.GetProperty("approvalId").GetGuid();

        // Nothing is delivered while it waits for its approval.
        Assert.Empty((await agent.PullAsync(new PullRequest { MaxJobs = 5, WaitMs = 200 })).Jobs);
        var pull = agent.PullAsync(new PullRequest { MaxJobs = 5, WaitMs = 20_000 });
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(factory.CreateClient(Roles.Admin, "bob"), approvalId, "approve", "backup verified")).StatusCode);

        var job = Assert.Single((await pull).Jobs);
        Assert.Equal(operationId, job.OperationId);
        Assert.Equal("postgres.restore", job.Kind);
        Assert.Equal("demo-20260101-000000.dump", JsonDocument.Parse(job.ParametersJson).RootElement.GetProperty("file").GetString());
        Assert.True((await agent.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt })).Proceed);
        Assert.True((await agent.CompleteAsync(new CompleteRequest
        {
            JobId = job.JobId,
            Attempt = job.Attempt,
            Outcome = JobOutcome.Succeeded,
            ResultJson = """{"database":"demo","file":"demo-20260101-000000.dump","tables":[]}""",
        })).Accepted);

        var viewer = factory.CreateClient(Roles.Viewer);
        await EventuallyAsync(
            async () => (await GetAsync(viewer, $"/api/v1/operations/{operationId}")).GetProperty("status").GetString() == "succeeded",
            "the approved restore to succeed");
    }
}
