using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// Start and Complete of all agents are written in shared transactions (issue 14, group commit):
/// every caller still gets its own answer, after its write committed, with the guarantees of
/// DESIGN.md §4–5 (one terminal state, attempt checks, idempotent repeats).
/// </summary>
public sealed class GroupCommitTests(LongLeaseGrpcFactory factory) : IClassFixture<LongLeaseGrpcFactory>
{
    private const int Agents = 12;
    private const int JobsPerAgent = 6;

    [Fact]
    public async Task ConcurrentStartsAndCompletesOfManyAgents_EndEveryJobOnceAndAnswerEachCallForItsOwnJob()
    {
        var agents = new List<AgentClient>();
        var jobs = new List<(AgentClient Agent, JobAssignment Job)>();
        for (var i = 0; i < Agents; i++)
        {
            var (agentId, client) = await factory.EnrollAgentAsync(new Dictionary<string, string> { ["group"] = "gc" });
            agents.Add(client);
            for (var n = 0; n < JobsPerAgent; n++)
            {
                var submitted = await factory.CreateClient(Roles.Operator).PostJsonAsync(
                    "/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentId) } } });
                Assert.Equal(System.Net.HttpStatusCode.Accepted, submitted.StatusCode);
            }

            var pulled = await client.PullAsync(new PullRequest { MaxJobs = JobsPerAgent, WaitMs = 0 });
            Assert.Equal(JobsPerAgent, pulled.Jobs.Count);
            jobs.AddRange(pulled.Jobs.Select(j => (client, j)));
        }

        // Every Start twice at once (an agent retrying), plus one with a stale attempt and one for another agent's job.
        var starts = jobs.SelectMany(j => new[] { j, j }).Select(j => j.Agent.StartAsync(new StartRequest { JobId = j.Job.JobId, Attempt = j.Job.Attempt })).ToList();
        var stale = jobs[0].Agent.StartAsync(new StartRequest { JobId = jobs[0].Job.JobId, Attempt = jobs[0].Job.Attempt + 1 });
        var foreign = agents[1].StartAsync(new StartRequest { JobId = jobs[0].Job.JobId, Attempt = jobs[0].Job.Attempt });
        Assert.All(await Task.WhenAll(starts), s => Assert.True(s.Proceed));
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => stale)).StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => foreign)).StatusCode);

        // Every Complete twice at once (the repeat of the same attempt is accepted as the same answer), half succeeded, half failed.
        var now = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        CompleteRequest Completion((AgentClient Agent, JobAssignment Job) j, int index) => new()
        {
            JobId = j.Job.JobId,
            Attempt = j.Job.Attempt,
            Outcome = index % 2 == 0 ? JobOutcome.Succeeded : JobOutcome.Failed,
            ExitCode = index % 2,
            ResultJson = $$"""{"index":{{index}}}""",
            StartedAt = now,
            FinishedAt = now,
        };
        var completions = jobs.Select((j, i) => (j, i)).SelectMany(x => new[] { x, x })
            .Select(x => x.j.Agent.CompleteAsync(Completion(x.j, x.i))).ToList();
        var staleCompletion = jobs[1].Agent.CompleteAsync(new CompleteRequest { JobId = jobs[1].Job.JobId, Attempt = jobs[1].Job.Attempt + 1, Outcome = JobOutcome.Succeeded, StartedAt = now, FinishedAt = now });
        Assert.All(await Task.WhenAll(completions), c => Assert.True(c.Accepted));
        Assert.False((await staleCompletion).Accepted);

        var ids = jobs.Select(j => Guid.Parse(j.Job.JobId)).ToArray();
        var stored = (await factory.QueryAsync<(Guid Id, string Status, int? ExitCode, string Result, int? CompletedAttempt)>(
            "SELECT id, status, exit_code, result::text, completed_attempt FROM jobs WHERE id = ANY(@ids)", new { ids })).ToDictionary(r => r.Id);
        for (var i = 0; i < jobs.Count; i++)
        {
            var row = stored[ids[i]];
            Assert.Equal(i % 2 == 0 ? "succeeded" : "failed", row.Status);
            Assert.Equal(i % 2, row.ExitCode);
            Assert.Equal($$"""{"index": {{i}}}""", row.Result);
            Assert.Equal(1, row.CompletedAttempt);
        }

        // The operations' counters and statuses follow their single job exactly.
        var operations = await factory.QueryAsync<(string Status, int Total, int Succeeded, int Failed, int Leased)>(
            "SELECT o.status, o.jobs_total, o.jobs_succeeded, o.jobs_failed, o.jobs_leased FROM operations o WHERE o.id IN (SELECT operation_id FROM jobs WHERE id = ANY(@ids))", new { ids });
        Assert.Equal(jobs.Count, operations.Count());
        Assert.All(operations, o =>
        {
            Assert.Equal(1, o.Total);
            Assert.Equal(0, o.Leased);
            Assert.Equal(o.Status == "succeeded" ? 1 : 0, o.Succeeded);
            Assert.Equal(o.Status == "failed" ? 1 : 0, o.Failed);
        });
    }

    [Fact]
    public async Task CompleteBeforeStart_AmongOtherAgentsCompletions_IsRefusedAloneAndTheOthersAreStored()
    {
        var clients = new List<(AgentClient Client, JobAssignment Job)>();
        for (var i = 0; i < 6; i++)
        {
            var (agentId, client) = await factory.EnrollAgentAsync();
            await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentId) } } });
            var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 })).Jobs);
            clients.Add((client, job));
        }

        // The first agent never calls Start; the others do.
        foreach (var (client, job) in clients.Skip(1))
        {
            Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt })).Proceed);
        }

        var now = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var calls = clients.Select(c => c.Client.CompleteAsync(new CompleteRequest { JobId = c.Job.JobId, Attempt = c.Job.Attempt, Outcome = JobOutcome.Succeeded, StartedAt = now, FinishedAt = now })).ToList();

        var refused = await Assert.ThrowsAsync<RpcException>(() => calls[0]);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("never started", refused.Status.Detail, StringComparison.Ordinal);
        foreach (var call in calls.Skip(1))
        {
            Assert.True((await call).Accepted);
        }

        var statuses = await factory.QueryAsync<string>(
            "SELECT status FROM jobs WHERE id = ANY(@ids) ORDER BY id", new { ids = clients.Select(c => Guid.Parse(c.Job.JobId)).ToArray() });
        Assert.Equal(5, statuses.Count(s => s == "succeeded"));
        Assert.Equal(1, statuses.Count(s => s == "leased"));
    }

    [Fact]
    public async Task ConcurrentHeartbeatsOfManyAgents_EachLearnOnlyItsOwnCancellationsAndExtendOnlyItsOwnLeases()
    {
        var fleet = new List<(string AgentId, AgentClient Client, JobAssignment Job, string OperationId)>();
        for (var i = 0; i < 10; i++)
        {
            var (agentId, client) = await factory.EnrollAgentAsync();
            var submitted = await (await factory.CreateClient(Roles.Operator).PostJsonAsync(
                "/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentId) } } })).ReadJsonAsync();
            var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 })).Jobs);
            Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt })).Proceed);
            fleet.Add((agentId, client, job, submitted.GetProperty("id").GetString()!));
        }

        // Every other operation is cancelled while its job runs: only its agent must be told.
        foreach (var member in fleet.Where((_, i) => i % 2 == 0))
        {
            var cancel = await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/operations/{member.OperationId}/cancel", null);
            Assert.True(cancel.IsSuccessStatusCode);
        }

        var ids = fleet.Select(m => Guid.Parse(m.Job.JobId)).ToArray();
        var before = (await factory.QueryAsync<(Guid Id, DateTime Lease)>(
            "SELECT id, lease_expires_at FROM jobs WHERE id = ANY(@ids)", new { ids })).ToDictionary(l => l.Id, l => l.Lease);
        await Task.Delay(50);
        var beats = fleet.Select(m =>
        {
            var request = new HeartbeatRequest();
            // Each agent also names another agent's job: never extended, never reported as its own.
            request.RunningJobIds.Add(m.Job.JobId);
            request.RunningJobIds.Add(fleet[(fleet.IndexOf(m) + 1) % fleet.Count].Job.JobId);
            return m.Client.HeartbeatAsync(request);
        }).ToList();
        var answers = await Task.WhenAll(beats);

        for (var i = 0; i < fleet.Count; i++)
        {
            if (i % 2 == 0)
            {
                Assert.Equal(fleet[i].Job.JobId, Assert.Single(answers[i].CancelJobIds));
            }
            else
            {
                Assert.Empty(answers[i].CancelJobIds);
            }
        }

        // The running jobs' leases moved on (the cancelled ones too: they run until their agents report).
        var after = await factory.QueryAsync<(Guid Id, DateTime Lease)>("SELECT id, lease_expires_at FROM jobs WHERE id = ANY(@ids)", new { ids });
        Assert.All(after, l => Assert.True(l.Lease > before[l.Id], $"lease of {l.Id} not extended: {before[l.Id]:O} → {l.Lease:O}"));
    }
}
