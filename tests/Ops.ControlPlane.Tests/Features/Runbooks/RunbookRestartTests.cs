using System.Net;
using System.Text;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Runbooks;

public sealed class RunbookRestartTests
{
    [Fact]
    public async Task Restart_MidRollout_ResumesTheRunAndEndsAsItWouldHaveWithNoJobReleasedTwice()
    {
        var first = new OpsApiFactory();
        await ((IAsyncLifetime)first).InitializeAsync();
        var connectionString = first.ConnectionString;
        var team = Guid.NewGuid().ToString("N")[..10];
        var web1 = await SimulatedFleet.SeedAgentAsync(connectionString, $"{team}-web-1", new Dictionary<string, string> { ["team"] = team });
        var web2 = await SimulatedFleet.SeedAgentAsync(connectionString, $"{team}-web-2", new Dictionary<string, string> { ["team"] = team });
        var web3 = await SimulatedFleet.SeedAgentAsync(connectionString, $"{team}-web-3", new Dictionary<string, string> { ["team"] = team });
        var document = $$$$"""
            {"parameters": {"version": {"type": "string"}}, "required": ["version"],
             "steps": [
               {"name": "deploy", "kind": "script.run", "target": {"labels": {"team": "{{{{team}}}}"}},
                "parameters": {"script": "demo.deploy", "arguments": {"version": "${params.version}"}},
                "rollout": {"batchSize": 1, "batchPauseSeconds": 3},
                "healthGate": {"kind": "agent.ping"}},
               {"name": "verify", "kind": "agent.ping", "target": {"labels": {"team": "{{{{team}}}}"}}}
             ]}
            """;
        var save = await first.CreateClient(Roles.Operator).PutAsync("/api/v1/runbooks/restart-deploy", new StringContent(document, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, save.StatusCode);
        var started = await (await first.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/runbooks/restart-deploy/runs", new { parameters = new { version = "2.0.0" } })).ReadJsonAsync();
        var runId = started.GetProperty("id").GetGuid();

        // Replica 1 drives the first batch and its gate; it stops while the pause before batch 2 runs.
        await using (new SimulatedAgents(connectionString, [web1, web2, web3], _ => ("succeeded", null, null)))
        {
            await SimulatedFleet.EventuallyAsync(
                async () => await Count(connectionString, "SELECT count(*) FROM operations WHERE run_id = @runId AND rollout_next_at IS NOT NULL AND rollout_batch = 1", runId) == 1,
                "the pause after the first batch's gate");
            await ((IAsyncLifetime)first).DisposeAsync();
        }

        var deployId = (await Rows<Guid>(connectionString, "SELECT id FROM operations WHERE run_id = @runId AND run_step = 'deploy'", runId)).Single();
        Assert.Equal(["succeeded", "waiting", "waiting"], (await SimulatedFleet.JobsAsync(connectionString, deployId)).Select(j => j.Status));

        // Replica 2 starts on the same database after the pause's due time passed while nothing ran.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var second = new OpsApiFactory { SharedConnectionString = connectionString };
        await ((IAsyncLifetime)second).InitializeAsync();
        try
        {
            JsonElement run = default;
            await using (new SimulatedAgents(connectionString, [web1, web2, web3], _ => ("succeeded", null, null)))
            {
                await SimulatedFleet.EventuallyAsync(async () =>
                {
                    run = await (await second.CreateClient(Roles.Viewer).GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync();
                    return run.GetProperty("status").GetString() is "succeeded" or "failed";
                }, "the resumed run to end", TimeSpan.FromSeconds(60));
            }

            Assert.Equal("succeeded", run.GetProperty("status").GetString());
            var jobs = await SimulatedFleet.JobsAsync(connectionString, deployId);
            Assert.Equal(["succeeded", "succeeded", "succeeded"], jobs.Select(j => j.Status));
            Assert.All(jobs, j => Assert.Equal(1, j.Attempt));
            Assert.True(jobs[1].ReleasedAt < jobs[2].ReleasedAt);
            // One operation per step and one gate per batch: nothing was started twice.
            Assert.Equal(1, await Count(connectionString, "SELECT count(*) FROM operations WHERE run_id = @runId AND run_step = 'deploy'", runId));
            Assert.Equal(1, await Count(connectionString, "SELECT count(*) FROM operations WHERE run_id = @runId AND run_step = 'verify'", runId));
            Assert.Equal(3, await Count(connectionString, "SELECT count(*) FROM operations WHERE run_id = @runId AND run_step = 'deploy.gate'", runId));
            Assert.Equal(1, await Count(connectionString, "SELECT count(*) FROM events WHERE resource_type = 'runbook_run' AND resource_id = @runId::text", runId));
            var gates = run.GetProperty("steps")[0].GetProperty("healthGates").EnumerateArray().Select(g => g.GetProperty("batch").GetInt32());
            Assert.Equal([1, 2, 3], gates);
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
        }
    }

    private static async Task<long> Count(string connectionString, string sql, Guid runId) =>
        (await Rows<long>(connectionString, sql, runId)).Single();

    private static async Task<IReadOnlyList<T>> Rows<T>(string connectionString, string sql, Guid runId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        return (await Dapper.SqlMapper.QueryAsync<T>(connection, sql, new { runId })).ToList();
    }
}
