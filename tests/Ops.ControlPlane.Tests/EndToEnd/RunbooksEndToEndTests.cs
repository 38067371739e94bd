using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.EndToEnd;

/// <summary>
/// The seeds' procedures as runbooks, end to end (issue 10): a real <c>./ops up</c> in its own
/// OPS_HOME on free ports (control plane, embedded PostgreSQL, the local agent and the demo web
/// agents web-1 and web-2, all real processes) applies <c>examples/runbooks</c>; the tests start
/// runs over REST as the README shows and check what the agents did in their state folders.
/// </summary>
public sealed class RunbooksEndToEndTests(ExamplesTests.OpsUp up) : IClassFixture<ExamplesTests.OpsUp>
{
    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{up.HttpPort}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(up.Home, "admin.token")).Trim());
        return client;
    }

    private async Task<JsonElement> GetAsync(string path) => JsonDocument.Parse(await Client().GetStringAsync(path)).RootElement;

    private async Task<JsonElement> RunAsync(string runbook, string parameters)
    {
        var response = await Client().PostAsync($"/api/v1/runbooks/{runbook}/runs", new StringContent($"{{\"parameters\":{parameters}}}", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        JsonElement run = default;
        await SimulatedFleet.EventuallyAsync(
            async () => (run = await GetAsync($"/api/v1/runbook-runs/{id}")).GetProperty("status").GetString() is not ("running" or "waiting"),
            $"the {runbook} run to end", TimeSpan.FromMinutes(3));
        return run;
    }

    private static JsonElement Step(JsonElement run, string name) => run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private string Version(string host) => File.ReadAllText(Path.Combine(up.Home, host, "version")).Trim();

    private string History(string host) => File.Exists(Path.Combine(up.Home, host, "history")) ? File.ReadAllText(Path.Combine(up.Home, host, "history")) : string.Empty;

    [Fact]
    public async Task RollingDeploy_GoodThenBadVersion_DeploysOneHostAfterTheOtherThenRollsBackWithoutTouchingWeb2()
    {
        var runbooks = await GetAsync("/api/v1/runbooks?limit=200");
        Assert.Equal(
            ["cert-renewal", "daily-routine", "rolling-deploy", "safe-config-change", "weekly-maintenance"],
            runbooks.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("name").GetString()).Order());

        // A good version: both web agents, one after the other.
        var good = await RunAsync("rolling-deploy", "{\"version\":\"1.3.0\",\"previousVersion\":\"1.2.0\"}");
        Assert.True(good.GetProperty("status").GetString() == "succeeded", good.ToString());
        Assert.Equal("1.3.0", Version("web-1"));
        Assert.Equal("1.3.0", Version("web-2"));
        var deploy = Step(good, "deploy");
        var gates = deploy.GetProperty("healthGates").EnumerateArray().ToList();
        Assert.Equal(2, gates.Count);
        var operation = await GetAsync($"/api/v1/operations/{deploy.GetProperty("operationId").GetGuid()}");
        var jobs = operation.GetProperty("jobs").EnumerateArray().OrderBy(j => j.GetProperty("batch").GetInt32()).ToList();
        var firstGate = await GetAsync($"/api/v1/operations/{gates[0].GetProperty("operationId").GetGuid()}");
        var gateFinished = firstGate.GetProperty("jobs")[0].GetProperty("finishedAt").GetDateTimeOffset();
        var pause = operation.GetProperty("rollout").GetProperty("batchPauseSeconds").GetInt32();
        // The second batch started only after the first batch's gate passed and the pause elapsed.
        Assert.True(jobs[0].GetProperty("finishedAt").GetDateTimeOffset() <= gateFinished);
        Assert.True(jobs[1].GetProperty("startedAt").GetDateTimeOffset() >= gateFinished.AddSeconds(pause),
            $"web-2 started {jobs[1].GetProperty("startedAt")}, the first gate finished {gateFinished:O}, pause {pause}s");

        // A -bad version: the gate fails after web-1, web-2 is skipped, the rollback restores 1.3.0.
        var web2Before = History("web-2");
        var bad = await RunAsync("rolling-deploy", "{\"version\":\"1.4.0-bad\",\"previousVersion\":\"1.3.0\"}");
        Assert.True(bad.GetProperty("status").GetString() == "rolled_back", bad.ToString());
        var badDeploy = Step(bad, "deploy");
        Assert.Equal("failed", badDeploy.GetProperty("status").GetString());
        Assert.Contains("health gate", badDeploy.GetProperty("error").GetString(), StringComparison.Ordinal);
        var badJobs = (await GetAsync($"/api/v1/operations/{badDeploy.GetProperty("operationId").GetGuid()}"))
            .GetProperty("jobs").EnumerateArray().OrderBy(j => j.GetProperty("batch").GetInt32()).ToList();
        Assert.Equal(["succeeded", "skipped"], badJobs.Select(j => j.GetProperty("status").GetString()));
        Assert.Equal("skipped", Step(bad, "verify").GetProperty("status").GetString());
        var previous = Step(bad, "previous");
        Assert.Equal("rollback", previous.GetProperty("phase").GetString());
        Assert.Equal("succeeded", previous.GetProperty("status").GetString());
        Assert.Equal("1.3.0", Version("web-1"));
        Assert.Contains("1.4.0-bad", History("web-1"), StringComparison.Ordinal);
        Assert.Equal(web2Before, History("web-2"));
        Assert.Equal("1.3.0", Version("web-2"));
    }

    [Fact]
    public async Task TheSeedRoutines_RunAsOneRunEach()
    {
        var daily = await RunAsync("daily-routine", "{}");
        Assert.True(daily.GetProperty("status").GetString() == "succeeded", daily.ToString());
        Assert.Equal(7, daily.GetProperty("steps").GetArrayLength());

        var weekly = await RunAsync("weekly-maintenance", "{}");
        Assert.True(weekly.GetProperty("status").GetString() == "succeeded", weekly.ToString());
        var backup = await GetAsync($"/api/v1/operations/{Step(weekly, "backup").GetProperty("operationId").GetGuid()}");
        var verify = await GetAsync($"/api/v1/operations/{Step(weekly, "verify").GetProperty("operationId").GetGuid()}");
        Assert.Equal(backup.GetProperty("jobs")[0].GetProperty("result").GetProperty("file").GetString(), verify.GetProperty("parameters").GetProperty("file").GetString());

        var change = await RunAsync("safe-config-change", "{\"logLevel\":\"debug\"}");
        Assert.True(change.GetProperty("status").GetString() == "succeeded", change.ToString());
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(up.Home, "demo"), "app.yml.backup-*"));
        Assert.Contains("log_level: debug", File.ReadAllText(Path.Combine(up.Home, "web-2", "app.yml")), StringComparison.Ordinal);

        var bad = await Client().PostAsync("/api/v1/runbooks/cert-renewal/runs", new StringContent("{\"parameters\":{}}", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("parameters.host", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
