using System.Net;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Dispatch;

public sealed class RolloutTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private async Task<(string Team, Guid[] Agents)> FleetAsync(params string[] hostnames)
    {
        var team = Guid.NewGuid().ToString("N")[..12];
        var agents = new List<Guid>();
        foreach (var hostname in hostnames)
        {
            agents.Add(await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, $"{team}-{hostname}", new Dictionary<string, string> { ["team"] = team }));
        }

        return (team, agents.ToArray());
    }

    private async Task<JsonElement> SubmitAsync(object body)
    {
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private async Task<JsonElement> GetAsync(Guid id) =>
        await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/operations/{id}")).ReadJsonAsync();

    [Fact]
    public async Task Rollout_WithBatchSizeOne_ReleasesOneAgentAtATimeInHostnameOrder()
    {
        var (team, _) = await FleetAsync("c", "a", "b");
        var created = await SubmitAsync(new { kind = "agent.ping", target = new { labels = new { team } }, rollout = new { batchSize = 1 } });
        var id = created.GetProperty("id").GetGuid();

        Assert.Equal("queued", created.GetProperty("status").GetString());
        var rollout = created.GetProperty("rollout");
        Assert.Equal(1, rollout.GetProperty("batch").GetInt32());
        Assert.Equal(3, rollout.GetProperty("batches").GetInt32());
        Assert.Equal(1, rollout.GetProperty("released").GetInt32());
        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
        Assert.Equal(["queued", "waiting", "waiting"], jobs.Select(j => j.Status));
        Assert.Equal([1, 2, 3], jobs.Select(j => j.Batch ?? 0));
        Assert.Null(jobs[1].DeadlineAt);

        foreach (var (job, next) in new[] { (0, 1), (1, 2) })
        {
            Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[job].Id, "succeeded"));
            var now = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
            // Released in the completion's own transaction: no wait.
            Assert.Equal("queued", now[next].Status);
            Assert.True(now[next].ReleasedAt >= now[job].FinishedAt);
        }

        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[2].Id, "succeeded"));
        var done = await GetAsync(id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(3, done.GetProperty("rollout").GetProperty("released").GetInt32());
        Assert.Equal(3, done.GetProperty("rollout").GetProperty("batch").GetInt32());
    }

    [Fact]
    public async Task Rollout_WhenFailuresExceedMaxErrors_SkipsTheRemainingJobsAndFailsTheOperation()
    {
        var (team, _) = await FleetAsync("a", "b", "c", "d");
        var created = await SubmitAsync(new { kind = "agent.ping", target = new { labels = new { team } }, rollout = new { batchSize = 2, maxErrors = 0 } });
        var id = created.GetProperty("id").GetGuid();
        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
        Assert.Equal(["queued", "queued", "waiting", "waiting"], jobs.Select(j => j.Status));

        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[0].Id, "failed", error: "boom"));

        var after = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
        Assert.Equal(["failed", "queued", "skipped", "skipped"], after.Select(j => j.Status));
        Assert.Contains("error budget", after[2].Error, StringComparison.Ordinal);
        var operation = await GetAsync(id);
        Assert.Equal("running", operation.GetProperty("status").GetString());
        Assert.Contains("maxErrors 0", operation.GetProperty("rollout").GetProperty("stoppedReason").GetString(), StringComparison.Ordinal);

        // The job in flight finishes.
        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[1].Id, "succeeded"));
        operation = await GetAsync(id);
        Assert.Equal("failed", operation.GetProperty("status").GetString());
        Assert.Equal(1, operation.GetProperty("rollout").GetProperty("failed").GetInt32());
        Assert.Equal(2, operation.GetProperty("rollout").GetProperty("released").GetInt32());
    }

    [Fact]
    public async Task Rollout_WithPercentages_RoundsTheBatchUpAndTheBudgetDown()
    {
        var (team, _) = await FleetAsync("a", "b", "c");
        var created = await SubmitAsync(new { kind = "agent.ping", target = new { labels = new { team } }, rollout = new { batchSize = "50%", maxErrors = "50%" } });
        var id = created.GetProperty("id").GetGuid();
        var rollout = created.GetProperty("rollout");
        Assert.Equal(2, rollout.GetProperty("batchSize").GetInt32());
        Assert.Equal(1, rollout.GetProperty("maxErrors").GetInt32());
        Assert.Equal(2, rollout.GetProperty("batches").GetInt32());
        Assert.Equal("50%", rollout.GetProperty("requested").GetProperty("batchSize").GetString());

        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[0].Id, "failed"));
        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[1].Id, "succeeded"));

        // One failure is within the budget of 1: the second batch is released.
        Assert.Equal("queued", (await SimulatedFleet.JobsAsync(factory.ConnectionString, id))[2].Status);
    }

    [Fact]
    public async Task Rollout_WithAPause_ReleasesTheNextBatchOnlyAfterThePauseAndStartsItsDeadlineThen()
    {
        var (team, _) = await FleetAsync("a", "b");
        var created = await SubmitAsync(new
        {
            kind = "agent.ping", target = new { labels = new { team } }, timeoutSeconds = 30,
            rollout = new { batchSize = 1, batchPauseSeconds = 2 },
        });
        var id = created.GetProperty("id").GetGuid();
        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);

        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, jobs[0].Id, "succeeded"));
        var paused = await GetAsync(id);
        Assert.Equal("waiting", (await SimulatedFleet.JobsAsync(factory.ConnectionString, id))[1].Status);
        Assert.Equal(JsonValueKind.String, paused.GetProperty("rollout").GetProperty("nextBatchAt").ValueKind);

        await SimulatedFleet.EventuallyAsync(
            async () => (await SimulatedFleet.JobsAsync(factory.ConnectionString, id))[1].Status == "queued", "the second batch after its pause");
        var released = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
        Assert.True(released[1].ReleasedAt - released[0].FinishedAt >= TimeSpan.FromSeconds(2), "released before the pause elapsed");
        Assert.Equal(released[1].ReleasedAt!.Value.AddSeconds(30), released[1].DeadlineAt);
        Assert.Equal(1, released[1].Attempt);
    }

    [Fact]
    public async Task Cancel_DuringARollout_CancelsTheWaitingJobsAndReleasesNothingMore()
    {
        var (team, _) = await FleetAsync("a", "b");
        var created = await SubmitAsync(new { kind = "agent.ping", target = new { labels = new { team } }, rollout = new { batchSize = 1 } });
        var id = created.GetProperty("id").GetGuid();

        var cancel = await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/operations/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var jobs = await SimulatedFleet.JobsAsync(factory.ConnectionString, id);
        Assert.All(jobs, j => Assert.Equal("cancelled", j.Status));
        Assert.Equal("cancelled", (await GetAsync(id)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("{\"batchSize\":0}", "rollout.batchSize")]
    [InlineData("{\"batchSize\":\"150%\"}", "rollout.batchSize")]
    [InlineData("{\"batchSize\":\"x%\"}", "rollout.batchSize")]
    [InlineData("{\"batchPauseSeconds\":5}", "rollout.batchSize")]
    [InlineData("{\"batchSize\":1,\"batchPauseSeconds\":-1}", "rollout.batchPauseSeconds")]
    [InlineData("{\"batchSize\":1,\"maxErrors\":\"-5%\"}", "rollout.maxErrors")]
    [InlineData("{\"batchSize\":1,\"maxErrors\":true}", "rollout.maxErrors")]
    public async Task Create_WithABadRollout_Is400NamingTheField(string rollout, string field)
    {
        var (team, _) = await FleetAsync("a");
        var response = await factory.CreateClient(Roles.Operator).PostRawAsync(
            "/api/v1/operations", $"{{\"kind\":\"agent.ping\",\"target\":{{\"labels\":{{\"team\":\"{team}\"}}}},\"rollout\":{rollout}}}");
        await ProblemAssert.HasFieldErrorAsync(response, field);
    }
}
