using System.Net;
using System.Text;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Runbooks;

/// <summary>Two control-plane replicas on one database driving the same runs and rollouts at once (DESIGN.md §11–12).</summary>
public sealed class RunbookReplicaTests : IAsyncLifetime
{
    private readonly OpsApiFactory _a = new();
    private OpsApiFactory _b = null!;

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)_a).InitializeAsync();
        _b = new OpsApiFactory { SharedConnectionString = _a.ConnectionString };
        await ((IAsyncLifetime)_b).InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_b).DisposeAsync();
        await ((IAsyncLifetime)_a).DisposeAsync();
    }

    [Fact]
    public async Task TwoReplicas_DriveEachRunOnceAndReleaseEachBatchOnce()
    {
        var team = Guid.NewGuid().ToString("N")[..10];
        var agents = new List<Guid>();
        for (var i = 1; i <= 4; i++)
        {
            agents.Add(await SimulatedFleet.SeedAgentAsync(_a.ConnectionString, $"{team}-web-{i}", new Dictionary<string, string> { ["team"] = team }));
        }

        var document = $$$$"""
            {"steps": [
               {"name": "deploy", "kind": "script.run", "target": {"labels": {"team": "{{{{team}}}}"}},
                "parameters": {"script": "demo.deploy", "arguments": {"version": "1.0.0"}},
                "rollout": {"batchSize": 1, "batchPauseSeconds": 1}, "healthGate": {"kind": "agent.ping"}},
               {"name": "verify", "kind": "agent.ping", "target": {"labels": {"team": "{{{{team}}}}"}}}
             ]}
            """;
        var save = await _a.CreateClient(Roles.Operator).PutAsync("/api/v1/runbooks/replicated", new StringContent(document, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, save.StatusCode);

        // Three runs started on alternate replicas; each replica's engine and releaser see every run.
        var runs = new List<Guid>();
        foreach (var factory in new[] { _a, _b, _a })
        {
            var started = await (await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/runbooks/replicated/runs", new { })).ReadJsonAsync();
            runs.Add(started.GetProperty("id").GetGuid());
        }

        await using (new SimulatedAgents(_a.ConnectionString, agents, _ => ("succeeded", null, null)))
        {
            foreach (var runId in runs)
            {
                await SimulatedFleet.EventuallyAsync(async () =>
                {
                    var run = await (await _b.CreateClient(Roles.Viewer).GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync();
                    return run.GetProperty("status").GetString() is "succeeded" or "failed";
                }, $"run {runId} to end", TimeSpan.FromSeconds(90));
            }
        }

        foreach (var runId in runs)
        {
            var run = await (await _a.CreateClient(Roles.Viewer).GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync();
            Assert.Equal("succeeded", run.GetProperty("status").GetString());
            var steps = await _a.QueryAsync<(string Step, long Operations)>(
                "SELECT run_step, count(*) FROM operations WHERE run_id = @runId GROUP BY run_step ORDER BY run_step", new { runId });
            Assert.Equal([("deploy", 1L), ("deploy.gate", 4L), ("verify", 1L)], steps);
            var deploy = run.GetProperty("steps")[0].GetProperty("operationId").GetGuid();
            var jobs = await SimulatedFleet.JobsAsync(_a.ConnectionString, deploy);
            Assert.All(jobs, j => Assert.Equal(1, j.Attempt));
            Assert.Equal(jobs.OrderBy(j => j.Hostname).Select(j => j.Hostname), jobs.OrderBy(j => j.ReleasedAt).Select(j => j.Hostname));
            Assert.Equal(1L, (await _a.QueryAsync<long>(
                "SELECT count(*) FROM events WHERE resource_type = 'runbook_run' AND resource_id = @id", new { id = runId.ToString() })).Single());
        }
    }
}
