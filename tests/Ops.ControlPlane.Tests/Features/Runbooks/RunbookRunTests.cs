using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Runbooks;

public sealed class RunbookRunTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    /// <summary>A fleet of one db and two web hosts labelled with a fresh team, and agents that deploy and health-check like the demo.</summary>
    private sealed record Fleet(string Team, Guid Db, Guid Web1, Guid Web2, ConcurrentDictionary<Guid, string> Versions, ConcurrentBag<(Guid Agent, string Script)> Calls);

    private async Task<Fleet> FleetAsync()
    {
        var team = Guid.NewGuid().ToString("N")[..10];
        var db = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, $"{team}-db", new Dictionary<string, string> { ["team"] = team, ["role"] = "db" });
        var web1 = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, $"{team}-web-1", new Dictionary<string, string> { ["team"] = team, ["role"] = "web" });
        var web2 = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, $"{team}-web-2", new Dictionary<string, string> { ["team"] = team, ["role"] = "web" });
        return new Fleet(team, db, web1, web2, new ConcurrentDictionary<Guid, string>(), []);
    }

    private SimulatedAgents Agents(Fleet fleet, object? backupResult = null) => new(factory.ConnectionString, [fleet.Db, fleet.Web1, fleet.Web2], job =>
    {
        if (job.Kind == "script.run")
        {
            fleet.Calls.Add((job.AgentId, job.Script!));
            if (job.Script == "demo.deploy")
            {
                fleet.Versions[job.AgentId] = job.Argument("version")!;
                return ("succeeded", new { version = job.Argument("version") }, null);
            }

            return fleet.Versions.TryGetValue(job.AgentId, out var v) && v.EndsWith("-bad", StringComparison.Ordinal)
                ? ("failed", null, $"unhealthy: version {v}")
                : ("succeeded", null, null);
        }

        return job.Kind == "postgres.backup" ? ("succeeded", backupResult ?? new { file = "demo-1.dump", sizeBytes = 42 }, null) : ("succeeded", null, null);
    });

    private static string RollingDeploy(string team, int pause = 1) => $$$$"""
        {
          "description": "Seed 004 §4.1 rolling deploy",
          "parameters": {"version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+(-[a-z]+)?$"}, "previousVersion": {"type": "string"}},
          "required": ["version", "previousVersion"],
          "locks": ["deploy:{{{{team}}}}"],
          "steps": [
            {"name": "backup", "kind": "postgres.backup", "target": {"labels": {"team": "{{{{team}}}}", "role": "db"}}, "parameters": {"database": "demo", "retentionDays": 7}},
            {"name": "deploy", "kind": "script.run", "target": {"labels": {"team": "{{{{team}}}}", "role": "web"}},
             "parameters": {"script": "demo.deploy", "arguments": {"version": "${params.version}"}},
             "rollout": {"batchSize": 1, "batchPauseSeconds": {{{{pause}}}}, "maxErrors": 0},
             "healthGate": {"kind": "script.run", "parameters": {"script": "demo.health"}},
             "onFailure": "rollback"},
            {"name": "verify", "kind": "agent.ping", "target": {"labels": {"team": "{{{{team}}}}", "role": "web"}}}
          ],
          "rollback": [
            {"name": "previous", "kind": "script.run", "target": {"labels": {"team": "{{{{team}}}}", "role": "web"}},
             "parameters": {"script": "demo.deploy", "arguments": {"version": "${params.previousVersion}"}}}
          ],
          "finally": [{"name": "report", "kind": "agent.ping", "target": {"labels": {"team": "{{{{team}}}}", "role": "db"}}}]
        }
        """;

    private async Task<string> SaveAsync(string document)
    {
        var name = $"rb-{Guid.NewGuid():N}"[..20];
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{name}", new StringContent(document, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return name;
    }

    private async Task<JsonElement> StartAsync(string name, object parameters, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/runbooks/{name}/runs") { Content = JsonContent(new { parameters }) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        var response = await factory.CreateClient(Roles.Operator, "alice").SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private async Task<JsonElement> GetRunAsync(Guid id) => await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/runbook-runs/{id}")).ReadJsonAsync();

    private async Task<JsonElement> WaitForRunAsync(Guid id, params string[] statuses)
    {
        JsonElement run = default;
        await SimulatedFleet.EventuallyAsync(async () => Enumerable.Contains(statuses, (run = await GetRunAsync(id)).GetProperty("status").GetString()), $"run {id} to be {string.Join("/", statuses)}", TimeSpan.FromSeconds(60));
        return run;
    }

    private static JsonElement Step(JsonElement run, string name) => run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private async Task<JsonElement> OperationAsync(JsonElement step) =>
        await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/operations/{step.GetProperty("operationId").GetGuid()}")).ReadJsonAsync();

    [Fact]
    public async Task RollingDeploy_OfAGoodVersion_DeploysHostByHostBehindTheGateAndThePause()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync(RollingDeploy(fleet.Team));
        await using var agents = Agents(fleet);

        var started = await StartAsync(name, new { version = "1.4.0", previousVersion = "1.3.0" });
        var run = await WaitForRunAsync(started.GetProperty("id").GetGuid(), "succeeded", "failed", "rolled_back");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.All(run.GetProperty("steps").EnumerateArray().Where(s => s.GetProperty("phase").GetString() != "rollback"),
            s => Assert.Equal("succeeded", s.GetProperty("status").GetString()));
        Assert.Equal("skipped", Step(run, "previous").GetProperty("status").GetString());
        Assert.Equal("rollback", Step(run, "previous").GetProperty("phase").GetString());
        Assert.Equal("finally", Step(run, "report").GetProperty("phase").GetString());
        Assert.Equal("1.4.0", fleet.Versions[fleet.Web1]);
        Assert.Equal("1.4.0", fleet.Versions[fleet.Web2]);

        var deploy = Step(run, "deploy");
        var gates = deploy.GetProperty("healthGates").EnumerateArray().ToList();
        Assert.Equal([1, 2], gates.Select(g => g.GetProperty("batch").GetInt32()));
        Assert.All(gates, g => Assert.Equal("succeeded", g.GetProperty("status").GetString()));
        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, deploy.GetProperty("operationId").GetGuid());
        var firstGate = await SimulatedFleet.JobsAsync(factory.ConnectionString, gates[0].GetProperty("operationId").GetGuid());
        Assert.Equal([$"{fleet.Team}-web-1"], firstGate.Select(j => j.Hostname));
        // The second host is released only after the first batch's gate passed and the pause elapsed.
        Assert.True(jobs[1].ReleasedAt - firstGate[0].FinishedAt >= TimeSpan.FromSeconds(1), $"released {jobs[1].ReleasedAt:O}, gate finished {firstGate[0].FinishedAt:O}");
        Assert.All(jobs, j => Assert.Equal(1, j.Attempt));

        var events = await factory.QueryAsync<string>(
            "SELECT type FROM events WHERE resource_type = 'runbook_run' AND resource_id = @id", new { id = run.GetProperty("id").GetString() });
        Assert.Equal(["runbook_run.succeeded"], events);
        var audit = await (await factory.CreateClient(Roles.Admin).GetAsync("/api/v1/audit?action=runbook_run.create&limit=500")).ReadJsonAsync();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), i => i.GetProperty("resourceId").GetString() == run.GetProperty("id").GetString());
    }

    [Fact]
    public async Task RollingDeploy_OfABadVersion_FailsTheGateSkipsTheSecondHostAndRollsBack()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync(RollingDeploy(fleet.Team));
        await using var agents = Agents(fleet);

        var started = await StartAsync(name, new { version = "1.4.0-bad", previousVersion = "1.3.0" });
        var run = await WaitForRunAsync(started.GetProperty("id").GetGuid(), "succeeded", "failed", "rolled_back");

        Assert.Equal("rolled_back", run.GetProperty("status").GetString());
        var deploy = Step(run, "deploy");
        Assert.Equal("failed", deploy.GetProperty("status").GetString());
        Assert.Contains("health gate", deploy.GetProperty("error").GetString(), StringComparison.Ordinal);
        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, deploy.GetProperty("operationId").GetGuid());
        Assert.Equal(["succeeded", "skipped"], jobs.Select(j => j.Status));
        Assert.Equal("skipped", Step(run, "verify").GetProperty("status").GetString());
        Assert.Equal("succeeded", Step(run, "previous").GetProperty("status").GetString());
        Assert.Equal("succeeded", Step(run, "report").GetProperty("status").GetString());
        // web-2 never got the bad version; the rollback put the previous one back on web-1.
        Assert.DoesNotContain(fleet.Calls, c => c.Agent == fleet.Web2 && c.Script == "demo.health");
        Assert.Equal("1.3.0", fleet.Versions[fleet.Web1]);
        Assert.Equal("1.3.0", fleet.Versions[fleet.Web2]);
        var events = await factory.QueryAsync<string>(
            "SELECT type FROM events WHERE resource_type = 'runbook_run' AND resource_id = @id", new { id = run.GetProperty("id").GetString() });
        Assert.Equal(["runbook_run.rolled_back"], events);
    }

    [Fact]
    public async Task TwoRuns_WithTheSameLock_TheSecondWaitsOnTheFirstAndStartsWhenItEnds()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync(RollingDeploy(fleet.Team, pause: 0));

        var first = await StartAsync(name, new { version = "1.4.0", previousVersion = "1.3.0" });
        var second = await StartAsync(name, new { version = "1.5.0", previousVersion = "1.4.0" });

        Assert.Equal("running", first.GetProperty("status").GetString());
        Assert.Equal("waiting", second.GetProperty("status").GetString());
        Assert.Equal($"deploy:{fleet.Team}", second.GetProperty("waitingOn").GetProperty("lock").GetString());
        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("waitingOn").GetProperty("heldBy").GetString());
        Assert.Equal("runbook_run", second.GetProperty("waitingOn").GetProperty("heldByType").GetString());
        Assert.All(Step(second, "backup").EnumerateObject().Where(p => p.Name == "operationId"), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));

        await using var agents = Agents(fleet);
        Assert.Equal("succeeded", (await WaitForRunAsync(first.GetProperty("id").GetGuid(), "succeeded", "failed")).GetProperty("status").GetString());
        var done = await WaitForRunAsync(second.GetProperty("id").GetGuid(), "succeeded", "failed");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal("1.5.0", fleet.Versions[fleet.Web2]);
        Assert.True(done.GetProperty("startedAt").GetDateTimeOffset() >= (await GetRunAsync(first.GetProperty("id").GetGuid())).GetProperty("finishedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task StepResultReference_IsResolvedTypedFromTheEarlierStep()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync($$$$"""
            {"parameters": {"days": {"type": "integer", "default": 7}},
             "steps": [
               {"name": "backup", "kind": "postgres.backup", "target": {"labels": {"team": "{{{{fleet.Team}}}}", "role": "db"}}, "parameters": {"database": "demo", "retentionDays": "${params.days}"}},
               {"name": "verify", "kind": "postgres.verify-backup", "target": {"labels": {"team": "{{{{fleet.Team}}}}", "role": "db"}},
                "parameters": {"database": "demo", "file": "${steps.backup.result.file}"}}
             ]}
            """);
        await using var agents = Agents(fleet);

        var run = await WaitForRunAsync((await StartAsync(name, new { })).GetProperty("id").GetGuid(), "succeeded", "failed");

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        var backup = await OperationAsync(Step(run, "backup"));
        Assert.Equal(JsonValueKind.Number, backup.GetProperty("parameters").GetProperty("retentionDays").ValueKind);
        Assert.Equal(7, backup.GetProperty("parameters").GetProperty("retentionDays").GetInt32());
        var verify = await OperationAsync(Step(run, "verify"));
        Assert.Equal("demo-1.dump", verify.GetProperty("parameters").GetProperty("file").GetString());
        Assert.Equal(run.GetProperty("id").GetGuid(), verify.GetProperty("runId").GetGuid());
    }

    [Fact]
    public async Task AReferenceThatResolvesToNothing_FailsTheStepClearlyAndRunsTheRollback()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync($$$$"""
            {"steps": [
               {"name": "backup", "kind": "postgres.backup", "target": {"labels": {"team": "{{{{fleet.Team}}}}", "role": "db"}}, "parameters": {"database": "demo"}},
               {"name": "verify", "kind": "postgres.verify-backup", "target": {"labels": {"team": "{{{{fleet.Team}}}}", "role": "db"}},
                "parameters": {"database": "demo", "file": "${steps.backup.result.file}"}, "onFailure": "rollback"}
             ],
             "rollback": [{"name": "undo", "kind": "agent.ping", "target": {"labels": {"team": "{{{{fleet.Team}}}}", "role": "db"}}}]}
            """);
        await using var agents = Agents(fleet, backupResult: new { sizeBytes = 1 });

        var run = await WaitForRunAsync((await StartAsync(name, new { })).GetProperty("id").GetGuid(), "rolled_back", "failed", "succeeded");

        Assert.Equal("rolled_back", run.GetProperty("status").GetString());
        var verify = Step(run, "verify");
        Assert.Equal("failed", verify.GetProperty("status").GetString());
        Assert.Contains("steps.backup.result.file resolves to nothing", verify.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, verify.GetProperty("operationId").ValueKind);
        Assert.Equal("succeeded", Step(run, "undo").GetProperty("status").GetString());
    }

    [Fact]
    public async Task OnFailureContinue_GoesOnAndEndsFailed_AbortSkipsTheRestButRunsFinally()
    {
        var fleet = await FleetAsync();
        var web = $"{{\"labels\": {{\"team\": \"{fleet.Team}\", \"role\": \"web\"}}}}";
        var name = await SaveAsync($$$$"""
            {"steps": [
               {"name": "flaky", "kind": "script.run", "target": {{{{web}}}}, "parameters": {"script": "demo.health"}, "onFailure": "continue"},
               {"name": "next", "kind": "agent.ping", "target": {{{{web}}}}},
               {"name": "fatal", "kind": "script.run", "target": {{{{web}}}}, "parameters": {"script": "demo.health"}},
               {"name": "never", "kind": "agent.ping", "target": {{{{web}}}}}
             ],
             "finally": [{"name": "cleanup", "kind": "agent.ping", "target": {{{{web}}}}}]}
            """);
        fleet.Versions[fleet.Web1] = "0.0.1-bad";
        await using var agents = Agents(fleet);

        var run = await WaitForRunAsync((await StartAsync(name, new { })).GetProperty("id").GetGuid(), "failed", "succeeded");

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal(["failed", "succeeded", "failed", "skipped", "succeeded"],
            run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("status").GetString()));
        Assert.Contains("step flaky failed", run.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_StopsTheRunCancelsTheCurrentStepAndRunsFinally()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync(RollingDeploy(fleet.Team, pause: 0));
        var started = await StartAsync(name, new { version = "1.4.0", previousVersion = "1.3.0" });
        var id = started.GetProperty("id").GetGuid();
        await SimulatedFleet.EventuallyAsync(async () => Step(await GetRunAsync(id), "backup").GetProperty("status").GetString() == "running", "the first step to start");

        var cancel = await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/runbook-runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await using var agents = Agents(fleet);
        var run = await WaitForRunAsync(id, "cancelled", "failed", "succeeded");

        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        Assert.Equal("cancelled", Step(run, "backup").GetProperty("status").GetString());
        Assert.Equal("cancelled", (await OperationAsync(Step(run, "backup"))).GetProperty("status").GetString());
        Assert.Equal("skipped", Step(run, "deploy").GetProperty("status").GetString());
        Assert.Equal("succeeded", Step(run, "report").GetProperty("status").GetString());
        var again = await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/runbook-runs/{id}/cancel", null);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Run_WithTheSameIdempotencyKey_ReturnsTheOriginalAndAnotherBodyIs409()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync(RollingDeploy(fleet.Team));
        var key = Guid.NewGuid().ToString();

        var first = await StartAsync(name, new { version = "1.4.0", previousVersion = "1.3.0" }, key);
        var replay = await StartAsync(name, new { version = "1.4.0", previousVersion = "1.3.0" }, key);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/runbooks/{name}/runs") { Content = JsonContent(new { parameters = new { version = "2.0.0", previousVersion = "1.3.0" } }) };
        request.Headers.Add("Idempotency-Key", key);
        var conflict = await factory.CreateClient(Roles.Operator, "alice").SendAsync(request);

        Assert.Equal(first.GetProperty("id").GetGuid(), replay.GetProperty("id").GetGuid());
        await ProblemAssert.IsProblemAsync(conflict, HttpStatusCode.Conflict);
        await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/runbook-runs/{first.GetProperty("id").GetGuid()}/cancel", null);
    }

    [Fact]
    public async Task ListRuns_FiltersByRunbookAndStatus()
    {
        var fleet = await FleetAsync();
        var name = await SaveAsync(RollingDeploy(fleet.Team));
        var started = await StartAsync(name, new { version = "1.4.0", previousVersion = "1.3.0" });
        await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/runbook-runs/{started.GetProperty("id").GetGuid()}/cancel", null);

        var viewer = factory.CreateClient(Roles.Viewer);
        var list = await (await viewer.GetAsync($"/api/v1/runbook-runs?runbook={name}")).ReadJsonAsync();
        var bad = await viewer.GetAsync("/api/v1/runbook-runs?status=nope");

        Assert.Equal([started.GetProperty("id").GetGuid()], list.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
        await ProblemAssert.HasFieldErrorAsync(bad, "status");
    }
}
