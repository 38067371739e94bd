using System.Collections.Concurrent;
using System.Diagnostics;
using Ops.Contracts.Agent.V1;
using Grpc.Core;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit.Abstractions;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>Two control-plane replicas on one database, as in a highly available deployment (DESIGN.md §5).</summary>
public sealed class ReplicaTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly OpsGrpcFactory _a = new();
    private OpsGrpcFactory _b = null!;

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = new OpsGrpcFactory { SharedConnectionString = _a.ConnectionString };
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_b).DisposeAsync();
        await ((IAsyncLifetime)_a).DisposeAsync();
    }

    [Fact]
    public async Task JobSubmittedOnReplicaA_WakesThePullWaitingOnReplicaB()
    {
        var (agentOnB, token) = await EnrollOnAAsync();
        var clientOnB = _b.CreateAgentClient(token);

        var latencies = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var pull = clientOnB.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 });
            await Task.Delay(200);
            Assert.False(pull.IsCompleted);
            var stopwatch = Stopwatch.StartNew();
            var submit = await _a.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentOnB) } } });
            var submitted = stopwatch.Elapsed;
            var response = await pull;
            latencies.Add((stopwatch.Elapsed - submitted).TotalMilliseconds);
            Assert.Equal((await submit.ReadJsonAsync()).GetProperty("id").GetString(), Assert.Single(response.Jobs).OperationId);
        }

        output.WriteLine($"commit on A → Pull response on B (ms): {string.Join(", ", latencies.Select(l => l.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task AgentRevokedOnReplicaA_IsRefusedOnReplicaBWhereItsTokenWasCached()
    {
        var (agentId, token) = await EnrollOnAAsync();
        var onA = _a.CreateAgentClient(token);
        var onB = _b.CreateAgentClient(token);
        await onA.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 });
        await onB.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 });
        await onB.HeartbeatAsync(new HeartbeatRequest());

        var revoked = await _a.CreateClient(Roles.Admin).PostAsync($"/api/v1/agents/{agentId}/revoke", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, revoked.StatusCode);

        // On the replica that revoked: the very next call.
        var here = await Assert.ThrowsAsync<RpcException>(() => onA.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 }));
        Assert.Equal(StatusCode.Unauthenticated, here.StatusCode);
        // On the other replica: as soon as NOTIFY ops_agent_tokens arrives (milliseconds; allowed 30 s on a busy machine).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        RpcException? there = null;
        while (there is null && DateTime.UtcNow < deadline)
        {
            try
            {
                await onB.HeartbeatAsync(new HeartbeatRequest());
                await Task.Delay(20);
            }
            catch (RpcException e)
            {
                there = e;
            }
        }

        Assert.NotNull(there);
        Assert.Equal(StatusCode.Unauthenticated, there.StatusCode);
        Assert.Contains("revoked", there.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<(string AgentId, string Token)> EnrollOnAAsync()
    {
        var admin = _a.CreateClient(Roles.Admin);
        var enrollment = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("token").GetString()!;
        var request = new EnrollRequest { EnrollmentToken = enrollment, Hostname = "replica-b-host" };
        request.Capabilities.Add("agent.ping");
        var enrolled = await _a.CreateAgentClient().EnrollAsync(request);
        return (enrolled.AgentId, enrolled.AgentToken);
    }

    [Fact]
    public async Task ManyAgentsPullingFromBothReplicas_ReceiveEveryJobExactlyOncePerAttempt()
    {
        const int Agents = 6;
        const int OperationsPerAgent = 15;
        var agents = new List<(string Id, string Token)>();
        for (var i = 0; i < Agents; i++)
        {
            agents.Add(await EnrollOnAAsync());
        }

        var received = new ConcurrentBag<(string JobId, int Attempt, string Replica)>();
        using var stop = new CancellationTokenSource();
        var pullers = agents.SelectMany(agent => new[] { (_a, "A"), (_b, "B") }.Select(replica => Task.Run(async () =>
        {
            // Two concurrent pullers per agent, one on each replica: SKIP LOCKED must hand each job to one of them.
            var client = replica.Item1.CreateAgentClient(agent.Token);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await client.PullAsync(new PullRequest { MaxJobs = 3, WaitMs = 500 }, cancellationToken: stop.Token);
                    foreach (var job in response.Jobs)
                    {
                        received.Add((job.JobId, job.Attempt, replica.Item2));
                        await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt });
                        await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded });
                    }
                }
                catch (RpcException) when (stop.IsCancellationRequested)
                {
                }
            }
        }))).ToList();

        var submitters = new[] { _a, _b }.Select(replica => Task.Run(async () =>
        {
            var client = replica.CreateClient(Roles.Operator);
            for (var n = 0; n < OperationsPerAgent / 2 + 1; n++)
            {
                foreach (var agent in agents)
                {
                    await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agent.Id) } } });
                }
            }
        })).ToList();
        await Task.WhenAll(submitters);

        var total = await _a.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && await _a.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs WHERE status = 'succeeded'") < total)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await Task.WhenAll(pullers);

        Assert.Equal(total, await _a.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs WHERE status = 'succeeded'"));
        var deliveries = received.GroupBy(r => (r.JobId, r.Attempt)).ToList();
        Assert.All(deliveries, d => Assert.Single(d));
        Assert.Equal(total, deliveries.Count);
        Assert.Contains(received, r => r.Replica == "A");
        Assert.Contains(received, r => r.Replica == "B");
        output.WriteLine($"{total} jobs, {received.Count(r => r.Replica == "A")} leased through A, {received.Count(r => r.Replica == "B")} through B");
    }
}
