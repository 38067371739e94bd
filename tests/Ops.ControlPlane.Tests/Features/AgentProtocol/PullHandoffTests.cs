using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// A plain submit hands its job straight to the agent's waiting Pull (issue 14, PullHandoffs):
/// the job is written <c>leased</c> in the submit's own statement, only when the agent has no
/// older queued job, and put back in the queue when the Pull's call ended before it got it. By
/// labels the submit claims every waiting Pull and gives back, still waiting, the ones it did not target.
/// </summary>
public sealed class PullHandoffTests(LongLeaseGrpcFactory factory) : IClassFixture<LongLeaseGrpcFactory>
{
    private PullHandoffs Handoffs => factory.Services.GetRequiredService<PullHandoffs>();

    private async Task<JsonElement> SubmitAsync(string agentId)
    {
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync(
            "/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentId) } } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private async Task<JsonElement> GetAsync(string path) =>
        await (await factory.CreateClient(Roles.Viewer).GetAsync(path)).ReadJsonAsync();

    /// <summary>Waits until the agent's Pull is registered as waiting (it read an empty queue).</summary>
    private async Task WaitForWaitingPullAsync(int count)
    {
        for (var i = 0; i < 500 && Handoffs.Count < count; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(Handoffs.Count >= count, "the Pull never started waiting");
    }

    [Fact]
    public async Task WaitingPull_GetsTheJobLeasedInTheSubmit()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var pull = client.PullAsync(new PullRequest { MaxJobs = 4, WaitMs = 20_000 });
        await WaitForWaitingPullAsync(1);

        var created = await SubmitAsync(agentId);
        var response = await pull;

        // The 202 says what was written: the job is leased, so the operation runs.
        Assert.Equal("running", created.GetProperty("status").GetString());
        var createdJob = Assert.Single(created.GetProperty("jobs").EnumerateArray());
        Assert.Equal("leased", createdJob.GetProperty("status").GetString());
        var job = Assert.Single(response.Jobs);
        Assert.Equal(createdJob.GetProperty("id").GetString(), job.JobId);
        Assert.Equal(created.GetProperty("id").GetString(), job.OperationId);
        Assert.Equal("agent.ping", job.Kind);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(job.ParametersJson).RootElement.ValueKind);
        Assert.Equal(createdJob.GetProperty("deadlineAt").GetDateTimeOffset(), job.Deadline.ToDateTimeOffset());

        var stored = await GetAsync($"/api/v1/jobs/{job.JobId}");
        Assert.Equal("leased", stored.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("leasedAt").ValueKind);
        var operation = await GetAsync($"/api/v1/operations/{job.OperationId}");
        Assert.Equal("running", operation.GetProperty("status").GetString());

        // From here it is an ordinary lease: Start, Complete, and the operation's counters end it succeeded.
        Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 })).Proceed);
        var now = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        Assert.True((await client.CompleteAsync(new CompleteRequest
        {
            JobId = job.JobId,
            Attempt = 1,
            Outcome = JobOutcome.Succeeded,
            ResultJson = """{"agentVersion":"0.1.0-test","time":"2026-12-02T00:00:00Z"}""",
            StartedAt = now,
            FinishedAt = now,
        })).Accepted);
        Assert.Equal("succeeded", (await GetAsync($"/api/v1/operations/{job.OperationId}")).GetProperty("status").GetString());
        Assert.Equal(0, Handoffs.Count);
    }

    [Fact]
    public async Task AgentWithOlderQueuedWork_IsNotHandedTheNewJob()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var older = await SubmitAsync(agentId);
        var olderJob = older.GetProperty("jobs")[0].GetProperty("id").GetGuid();
        Assert.Equal("queued", older.GetProperty("jobs")[0].GetProperty("status").GetString());

        // Another transaction holds the older job's row, so the Pull's lease skips it and the Pull waits.
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            hold.Parameters.AddWithValue(olderJob);
            await hold.ExecuteScalarAsync();
        }

        var pull = client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 });
        await WaitForWaitingPullAsync(1);
        var newer = await SubmitAsync(agentId);

        // The new job is not leased past the older queued one; the claimed Pull reads the queue instead.
        Assert.Equal("queued", newer.GetProperty("status").GetString());
        Assert.Equal("queued", newer.GetProperty("jobs")[0].GetProperty("status").GetString());
        var response = await pull;
        Assert.Equal(newer.GetProperty("jobs")[0].GetProperty("id").GetString(), Assert.Single(response.Jobs).JobId);
        await transaction.RollbackAsync();

        var next = await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 5_000 });
        Assert.Equal(olderJob.ToString(), Assert.Single(next.Jobs).JobId);
    }

    [Fact]
    public async Task PullThatLeftBeforeTheCommit_HasItsJobPutBackInTheQueue()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        // Stands in for a Pull that waits here; the test ends its call while a submit holds it.
        var handoff = Handoffs.Register(Guid.Parse(agentId));

        // Holding the agent's row makes the submit's insert wait (its jobs reference the agent) after it claimed the Pull.
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            hold.Parameters.AddWithValue(Guid.Parse(agentId));
            await hold.ExecuteScalarAsync();
        }

        var submit = SubmitAsync(agentId);
        for (var i = 0; i < 500 && Handoffs.Count > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, Handoffs.Count); // claimed by the submit
        Assert.False(handoff.TryClose());
        handoff.Abandon();
        await transaction.CommitAsync();

        var created = await submit;
        var jobId = created.GetProperty("jobs")[0].GetProperty("id").GetString();
        Assert.Equal("queued", created.GetProperty("jobs")[0].GetProperty("status").GetString());
        Assert.Equal(2, created.GetProperty("jobs")[0].GetProperty("attempt").GetInt32()); // the 202 says what is stored
        Assert.False(handoff.Jobs.IsCompleted);
        var stored = await GetAsync($"/api/v1/jobs/{jobId}");
        Assert.Equal("queued", stored.GetProperty("status").GetString());
        Assert.Equal(2, stored.GetProperty("attempt").GetInt32());

        var pulled = await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 5_000 });
        var job = Assert.Single(pulled.Jobs);
        Assert.Equal(jobId, job.JobId);
        Assert.Equal(2, job.Attempt);
    }

    [Fact]
    public async Task LabelSubmit_HandsItsJobToTheMatchingPull_AndLeavesTheOthersWaiting()
    {
        var label = Guid.NewGuid().ToString("N")[..12];
        var (matchId, match) = await factory.EnrollAgentAsync(new Dictionary<string, string> { ["handoff"] = label });
        var (otherId, other) = await factory.EnrollAgentAsync(new Dictionary<string, string> { ["handoff"] = "elsewhere" });
        var matchPull = match.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 });
        var otherPull = other.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 });
        await WaitForWaitingPullAsync(2);

        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync(
            "/api/v1/operations", new { kind = "agent.ping", target = new { labels = new Dictionary<string, string> { ["handoff"] = label } } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = await response.ReadJsonAsync();

        Assert.Equal("running", created.GetProperty("status").GetString());
        var createdJob = Assert.Single(created.GetProperty("jobs").EnumerateArray());
        Assert.Equal(matchId, createdJob.GetProperty("agentId").GetString());
        Assert.Equal("leased", createdJob.GetProperty("status").GetString());
        Assert.Equal(createdJob.GetProperty("id").GetString(), Assert.Single((await matchPull).Jobs).JobId);

        // The other agent's Pull was claimed too (the submit could not know its target before its
        // statement) and given back: still waiting, claimable, and handed the next job sent to it.
        Assert.False(otherPull.IsCompleted);
        Assert.Equal(1, Handoffs.Count);
        var next = await SubmitAsync(otherId);
        Assert.Equal("leased", next.GetProperty("jobs")[0].GetProperty("status").GetString());
        Assert.Equal(next.GetProperty("jobs")[0].GetProperty("id").GetString(), Assert.Single((await otherPull).Jobs).JobId);
        Assert.Equal(0, Handoffs.Count);
    }

    [Fact]
    public async Task ReleasedClaim_WaitsOnOrAnswersEmptyWhenThePullStoppedWaiting()
    {
        var handoffs = new PullHandoffs();
        var agent = Guid.NewGuid();

        // Released while the Pull still waits: claimable again, its Pull not answered.
        var waiting = handoffs.Register(agent);
        Assert.Same(waiting, Assert.Single(handoffs.ClaimAll()).Value);
        Assert.Equal(0, handoffs.Count);
        waiting.Release();
        Assert.Equal(1, handoffs.Count);
        Assert.False(waiting.Jobs.IsCompleted);
        Assert.Same(waiting, handoffs.TryClaim(agent));
        Assert.True(waiting.Deliver([new JobAssignment { JobId = "j" }]));
        Assert.Equal("j", Assert.Single(await waiting.Jobs).JobId);

        // The Pull stopped waiting while claimed: the release answers it with no jobs (it reads its queue).
        var stopped = handoffs.Register(agent);
        var claim = handoffs.TryClaim(agent)!;
        Assert.False(stopped.TryClose());
        claim.Release();
        Assert.Empty(await stopped.Jobs);
        Assert.Equal(0, handoffs.Count);

        // A Pull that stopped waiting and then left: the submit's delivery fails (it requeues), nothing stays listed.
        var left = handoffs.Register(agent);
        var held = handoffs.TryClaim(agent)!;
        Assert.False(left.TryClose());
        left.Abandon();
        Assert.False(held.Deliver([new JobAssignment { JobId = "k" }]));
        held.Release();
        Assert.False(left.Jobs.IsCompleted);
        Assert.Equal(0, handoffs.Count);

        // Closed after its release: not listed any more.
        var closed = handoffs.Register(agent);
        handoffs.ClaimAll()[agent].Release();
        Assert.True(closed.TryClose());
        Assert.Equal(0, handoffs.Count);
    }

    [Fact]
    public async Task Handoff_IsClaimedOnceAndClosedPullsCannotBeClaimed()
    {
        var handoffs = new PullHandoffs();
        var agent = Guid.NewGuid();
        Assert.Null(handoffs.TryClaim(agent));

        var first = handoffs.Register(agent);
        Assert.True(first.TryClose());
        Assert.Null(handoffs.TryClaim(agent));
        Assert.Equal(0, handoffs.Count);

        var second = handoffs.Register(agent);
        var claim = handoffs.TryClaim(agent);
        Assert.Same(second, claim);
        Assert.Null(handoffs.TryClaim(agent));
        Assert.False(second.TryClose()); // held: the Pull waits for the answer
        Assert.True(claim!.Deliver([new JobAssignment { JobId = "j" }]));
        Assert.Equal("j", Assert.Single(await second.Jobs).JobId);
        Assert.False(claim.Deliver([]));

        var third = handoffs.Register(agent);
        var held = handoffs.TryClaim(agent)!;
        third.Abandon();
        Assert.False(held.Deliver([new JobAssignment { JobId = "k" }]));
        Assert.False(third.Jobs.IsCompleted);

        // A newer Pull of the agent replaces the older one; closing the older one leaves the newer claimable.
        var older = handoffs.Register(agent);
        var newer = handoffs.Register(agent);
        Assert.True(older.TryClose());
        Assert.Same(newer, handoffs.TryClaim(agent));
    }
}
