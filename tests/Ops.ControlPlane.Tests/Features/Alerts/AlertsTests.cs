using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ops.ControlPlane.Features.Alerts;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Tests.Features.Webhooks;
using Ops.ControlPlane.Tests.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.ControlPlane.Tests.Features.Alerts;

/// <summary>
/// Alert rules on heartbeat samples and schedule outcomes (DESIGN.md §15). Samples are written as
/// the heartbeat path writes them (<c>agents.last_stats</c>, <c>last_seen_at</c>); schedule
/// outcomes as the scheduler emits them (<see cref="EventWriter"/>).
/// </summary>
public sealed class AlertsTests(WebhookApiFactory factory) : IClassFixture<WebhookApiFactory>
{
    private readonly HttpClient _operator = factory.CreateClient(Roles.Operator);

    private static object Sample(double cpu = 10, long memoryUsed = 1_000, long memoryTotal = 10_000, double load = 0.5, params (string Mount, long Total, long Free)[] disks) => new
    {
        at = DateTimeOffset.UtcNow,
        cpuPercent = cpu,
        memoryUsedBytes = memoryUsed,
        memoryTotalBytes = memoryTotal,
        load1 = load,
        disks = disks.Select(d => new { mount = d.Mount, totalBytes = d.Total, freeBytes = d.Free }),
    };

    /// <summary>What JobQueue.HeartbeatAsync writes for one heartbeat with a sample.</summary>
    private async Task HeartbeatAsync(Guid agentId, object sample)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE agents SET last_seen_at = now(), last_stats = $2::jsonb WHERE id = $1", connection);
        command.Parameters.AddWithValue(agentId);
        command.Parameters.AddWithValue(JsonSerializer.Serialize(sample));
        await command.ExecuteNonQueryAsync();
    }

    private async Task PutRuleAsync(string name, object rule, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await _operator.PutAsJsonAsync($"/api/v1/alert-rules/{name}", rule);
        Assert.True(response.StatusCode == expected, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement[]> AlertsAsync(string rule, string? state = null) =>
        (await (await _operator.GetAsync($"/api/v1/alerts?rule={rule}{(state is null ? "" : $"&state={state}")}")).ReadJsonAsync())
            .GetProperty("items").EnumerateArray().ToArray();

    private Task<long> EventCountAsync(string type, string rule) =>
        factory.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE type = @type AND data ->> 'rule' = @rule", new { type, rule });

    [Fact]
    public async Task HostRule_WhenADiskSampleCrossesTheThreshold_FiresPerMountAndResolves()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "disk" });
        await PutRuleAsync("disk-low", new { metric = "disk_free_bytes", op = "<", threshold = 10_000_000_000d, forSeconds = 0, target = new { labels = new { suite = "disk" } }, severity = "critical" });

        await HeartbeatAsync(agent, Sample(disks: [("/", 100_000_000_000, 5_000_000_000), ("/data", 100_000_000_000, 50_000_000_000)]));
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-low", "firing")).Length == 1, "the disk alert to fire");
        var alert = (await AlertsAsync("disk-low", "firing"))[0];
        Assert.Equal("/", alert.GetProperty("mount").GetString());
        Assert.Equal(agent.ToString(), alert.GetProperty("agentId").GetString());
        Assert.Equal(5_000_000_000d, alert.GetProperty("value").GetDouble());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        Assert.Equal(1, await EventCountAsync("alert.firing", "disk-low"));

        await HeartbeatAsync(agent, Sample(disks: [("/", 100_000_000_000, 20_000_000_000), ("/data", 100_000_000_000, 50_000_000_000)]));
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-low", "resolved")).Length == 1, "the disk alert to resolve");
        Assert.Empty(await AlertsAsync("disk-low", "firing"));
        Assert.Equal(1, await EventCountAsync("alert.resolved", "disk-low"));
        var resolved = await factory.QueryScalarAsync<string>("SELECT data::text FROM events WHERE type = 'alert.resolved' AND data ->> 'rule' = 'disk-low'");
        Assert.Contains(alert.GetProperty("id").GetString()!, resolved, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostRule_WithForSeconds_IsPendingFirstThenFiresAtTheDueTimeWithoutAnotherSample()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "cpu" });
        await PutRuleAsync("cpu-high", new { metric = "cpu_percent", op = ">", threshold = 80, forSeconds = 2, target = new { labels = new { suite = "cpu" } }, severity = "warning" });

        await HeartbeatAsync(agent, Sample(cpu: 95));
        await Wait.UntilAsync(async () => (await AlertsAsync("cpu-high")).Length == 1, "the pending alert");
        await Wait.UntilAsync(async () => (await AlertsAsync("cpu-high", "firing")).Length == 1, "the alert to fire after forSeconds");
        var alert = (await AlertsAsync("cpu-high", "firing"))[0];
        var held = alert.GetProperty("firedAt").GetDateTimeOffset() - alert.GetProperty("pendingSince").GetDateTimeOffset();
        Assert.True(held >= TimeSpan.FromSeconds(2), $"fired after {held} only");
        Assert.Equal(1, await EventCountAsync("alert.firing", "cpu-high"));
    }

    [Fact]
    public async Task HostRule_WhenTheConditionStopsBeforeForSeconds_DropsThePendingAlertSilently()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "flap" });
        await PutRuleAsync("memory-high", new { metric = "memory_used_percent", op = ">", threshold = 90, forSeconds = 3600, target = new { labels = new { suite = "flap" } }, severity = "warning" });
        await HeartbeatAsync(agent, Sample(memoryUsed: 9_500, memoryTotal: 10_000));
        await Wait.UntilAsync(async () => (await AlertsAsync("memory-high", "pending")).Length == 1, "the pending alert");
        Assert.Equal(95d, (await AlertsAsync("memory-high", "pending"))[0].GetProperty("value").GetDouble());

        await HeartbeatAsync(agent, Sample(memoryUsed: 5_000, memoryTotal: 10_000));
        await Wait.UntilAsync(async () => (await AlertsAsync("memory-high")).Length == 0, "the pending alert to be dropped");
        Assert.Equal(0, await EventCountAsync("alert.firing", "memory-high"));
        Assert.Equal(0, await EventCountAsync("alert.resolved", "memory-high"));
    }

    [Fact]
    public async Task PendingAlert_WhoseSamplesStoppedForAWhile_StartsItsForSecondsAgainInsteadOfFiring()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "gap" });
        await PutRuleAsync("cpu-gap", new { metric = "cpu_percent", op = ">", threshold = 80, forSeconds = 300, target = new { labels = new { suite = "gap" } }, severity = "warning" });
        await HeartbeatAsync(agent, Sample(cpu: 99));
        await Wait.UntilAsync(async () => (await AlertsAsync("cpu-gap", "pending")).Length == 1, "the pending alert");

        // As if the agent (or the control plane) had been down for an hour since that sample, past the due time.
        await factory.QueryScalarAsync<int>(
            "WITH u AS (UPDATE alerts SET pending_since = now() - interval '2 hours', due_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE rule_name = 'cpu-gap' RETURNING 1) SELECT count(*)::int FROM u");
        await HeartbeatAsync(agent, Sample(cpu: 98));
        await Wait.UntilAsync(async () => (await AlertsAsync("cpu-gap", "pending")) is [var a] && a.GetProperty("value").GetDouble() == 98, "the new sample to be evaluated");
        var alert = (await AlertsAsync("cpu-gap", "pending"))[0];
        Assert.True(DateTimeOffset.UtcNow - alert.GetProperty("pendingSince").GetDateTimeOffset() < TimeSpan.FromMinutes(30), alert.ToString());
        Assert.Equal(0, await EventCountAsync("alert.firing", "cpu-gap"));
    }

    [Fact]
    public async Task SilentAgent_DropsItsPendingAlertAndKeepsItsFiringOne()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "silent" });
        await PutRuleAsync("silent-pending", new { metric = "cpu_percent", op = ">", threshold = 80, forSeconds = 3600, target = new { labels = new { suite = "silent" } }, severity = "info" });
        await PutRuleAsync("silent-firing", new { metric = "load1", op = ">", threshold = 4, target = new { labels = new { suite = "silent" } }, severity = "info" });
        await HeartbeatAsync(agent, Sample(cpu: 99, load: 9));
        await Wait.UntilAsync(async () => (await AlertsAsync("silent-pending", "pending")).Length == 1 && (await AlertsAsync("silent-firing", "firing")).Length == 1, "both alerts");

        await factory.QueryScalarAsync<int>("WITH u AS (UPDATE agents SET last_seen_at = now() - interval '1 hour' WHERE id = @agent RETURNING 1) SELECT count(*)::int FROM u", new { agent });
        await Wait.UntilAsync(async () => (await AlertsAsync("silent-pending")).Length == 0, "the stale pending alert to be dropped");
        Assert.Single(await AlertsAsync("silent-firing", "firing"));
        Assert.Equal(0, await EventCountAsync("alert.resolved", "silent-firing"));
    }

    [Fact]
    public async Task Evaluations_OfTheSameSampleRepeatedAndConcurrent_KeepOneAlertAndOneEvent()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "dedup" });
        await PutRuleAsync("load-high", new { metric = "load1", op = ">", threshold = 4, target = new { labels = new { suite = "dedup" } }, severity = "info" });
        for (var i = 0; i < 3; i++)
        {
            await HeartbeatAsync(agent, Sample(load: 8 + i));
        }

        var evaluator = factory.Services.GetRequiredService<AlertEvaluator>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => evaluator.EvaluateAgentAsync(agent, CancellationToken.None))));
        await Wait.UntilAsync(async () => (await AlertsAsync("load-high", "firing")).Length == 1, "the load alert");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => evaluator.EvaluateAgentAsync(agent, CancellationToken.None))));
        Assert.Single(await AlertsAsync("load-high"));
        Assert.Equal(1, await EventCountAsync("alert.firing", "load-high"));
        Assert.Equal(1, await factory.QueryScalarAsync<long>("SELECT count(*) FROM alerts WHERE rule_name = 'load-high'"));
    }

    [Fact]
    public async Task Rule_WhenItsThresholdIsChanged_ResolvesWithoutWaitingForASample()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "change" });
        var rule = new Dictionary<string, object> { ["metric"] = "disk_free_bytes", ["op"] = "<", ["threshold"] = 1e18, ["target"] = new { labels = new { suite = "change" } }, ["severity"] = "warning" };
        await PutRuleAsync("disk-demo", rule);
        await HeartbeatAsync(agent, Sample(disks: [("/", 1_000_000, 500_000)]));
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-demo", "firing")).Length == 1, "the alert");

        rule["threshold"] = 1;
        await PutRuleAsync("disk-demo", rule, HttpStatusCode.OK);
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-demo", "resolved")).Length == 1, "the alert to resolve on the rule change");
        Assert.Equal(1, await EventCountAsync("alert.resolved", "disk-demo"));

        await PutRuleAsync("disk-demo", new Dictionary<string, object>(rule) { ["threshold"] = 1e18 }, HttpStatusCode.OK);
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-demo", "firing")).Length == 1, "a new alert");
        Assert.Equal(HttpStatusCode.NoContent, (await _operator.DeleteAsync("/api/v1/alert-rules/disk-demo")).StatusCode);
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-demo", "firing")).Length == 0, "the deleted rule's alert to resolve");
        Assert.Equal(2, await EventCountAsync("alert.resolved", "disk-demo"));
    }

    [Fact]
    public async Task ScheduleRule_AfterThreeConsecutiveFailedSlots_FiresAndASucceededSlotResolves()
    {
        await PutRuleAsync("scraping-failing", new { schedule = "scraping-test", consecutiveFailures = 3, severity = "critical" });
        var writer = factory.Services.GetRequiredService<EventWriter>();
        async Task SlotAsync(string type, int n)
        {
            await using var connection = new NpgsqlConnection(factory.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await writer.AppendAsync(connection, transaction, type, "schedule", "scraping-test",
                new { schedule = "scraping-test", slotAt = $"2026-01-0{n}T02:00:00Z", status = type == EventTypes.ScheduleSlotFailed ? "failed" : "succeeded" }, CancellationToken.None);
            await transaction.CommitAsync();
        }

        await SlotAsync(EventTypes.ScheduleSlotFailed, 1);
        await SlotAsync("schedule.slot_succeeded", 2);
        await SlotAsync(EventTypes.ScheduleSlotFailed, 3);
        await SlotAsync(EventTypes.ScheduleSlotFailed, 4);
        await Wait.UntilAsync(async () => await factory.QueryScalarAsync<int>("SELECT consecutive_failures FROM schedule_streaks WHERE schedule = 'scraping-test'") == 2, "the streak");
        Assert.Empty(await AlertsAsync("scraping-failing"));

        await SlotAsync(EventTypes.ScheduleSlotFailed, 5);
        await Wait.UntilAsync(async () => (await AlertsAsync("scraping-failing", "firing")).Length == 1, "the schedule alert");
        var alert = (await AlertsAsync("scraping-failing", "firing"))[0];
        Assert.Equal("scraping-test", alert.GetProperty("schedule").GetString());
        Assert.Equal(3d, alert.GetProperty("value").GetDouble());

        await SlotAsync(EventTypes.ScheduleSlotFailed, 6);
        await SlotAsync("schedule.slot_succeeded", 7);
        await Wait.UntilAsync(async () => (await AlertsAsync("scraping-failing", "resolved")).Length == 1, "the schedule alert to resolve");
        Assert.Equal(1, await EventCountAsync("alert.firing", "scraping-failing"));
    }

    [Fact]
    public async Task AgentOfflineRule_FiresForASilentAgentEmitsAgentOfflineOnceAndResolvesOnItsNextHeartbeat()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "offline" });
        await factory.QueryScalarAsync<int>("WITH u AS (UPDATE agents SET last_seen_at = now() - interval '1 hour' WHERE id = @agent RETURNING 1) SELECT count(*)::int FROM u", new { agent });
        await PutRuleAsync("agent-down", new { metric = "agent_offline", target = new { labels = new { suite = "offline" } }, severity = "critical" });
        await Wait.UntilAsync(async () => (await AlertsAsync("agent-down", "firing")).Length == 1, "the offline alert");
        Assert.True((await AlertsAsync("agent-down", "firing"))[0].GetProperty("value").GetDouble() >= 3600);
        await Wait.UntilAsync(async () => await factory.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'agent.offline' AND resource_id = @id", new { id = agent.ToString() }) == 1, "agent.offline");

        await HeartbeatAsync(agent, Sample());
        await Wait.UntilAsync(async () => (await AlertsAsync("agent-down", "resolved")).Length == 1, "the offline alert to resolve");
        await factory.Services.GetRequiredService<AlertEvaluator>().EvaluateAgentAsync(agent, CancellationToken.None);
        Assert.Equal(1, await factory.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE type = 'agent.offline' AND resource_id = @id", new { id = agent.ToString() }));
    }

    [Fact]
    public async Task Rule_WithARunbook_RecordsTheRemediationWithResolvedParameters()
    {
        var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "remedy" });
        await PutRuleAsync("disk-cleanup", new
        {
            metric = "disk_free_percent", op = "<", threshold = 10, target = new { labels = new { suite = "remedy" } }, severity = "warning",
            runbook = "cleanup-logs", parameters = new { agent = "${alert.agentId}", free = "${alert.value}", note = "mount ${alert.mount} is low" },
        });
        await HeartbeatAsync(agent, Sample(disks: [("/var", 1000, 50)]));
        await Wait.UntilAsync(async () => (await AlertsAsync("disk-cleanup", "firing")).Length == 1, "the alert");
        var remediation = (await AlertsAsync("disk-cleanup", "firing"))[0].GetProperty("remediation");
        Assert.Equal("unavailable", remediation.GetProperty("status").GetString());
        Assert.Contains("runbooks not available", remediation.GetProperty("message").GetString(), StringComparison.Ordinal);
        var parameters = remediation.GetProperty("parameters");
        Assert.Equal(agent.ToString(), parameters.GetProperty("agent").GetString());
        Assert.Equal(5d, parameters.GetProperty("free").GetDouble());
        Assert.Equal("mount /var is low", parameters.GetProperty("note").GetString());
    }

    [Fact]
    public async Task FiringAlert_ReachesASubscribedWebhookSigned()
    {
        using var receiver = WireMockServer.Start();
        receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var admin = factory.CreateClient(Roles.Admin);
        var created = await admin.PutAsJsonAsync("/api/v1/webhooks/alerts-team", new { url = $"{receiver.Urls[0]}/alerts", events = new[] { "alert.firing", "alert.resolved" } });
        var secret = (await created.ReadJsonAsync()).GetProperty("secret").GetString()!;
        try
        {
            var agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["suite"] = "hook" });
            await PutRuleAsync("hook-cpu", new { metric = "cpu_percent", op = ">", threshold = 50, target = new { labels = new { suite = "hook" } }, severity = "critical" });
            await HeartbeatAsync(agent, Sample(cpu: 99));
            await Wait.UntilAsync(() => receiver.Received("/alerts").Any(r => r.Json().GetProperty("data").GetProperty("rule").GetString() == "hook-cpu"), "alert.firing at the receiver");
            var request = receiver.Received("/alerts").First(r => r.Json().GetProperty("data").GetProperty("rule").GetString() == "hook-cpu");
            Assert.True(WebhookVerifier.Verify(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"), request.RequestMessage.Body!, request.Header("webhook-signature")));
            var json = request.Json();
            Assert.Equal("alert.firing", json.GetProperty("type").GetString());
            Assert.Equal(99d, json.GetProperty("data").GetProperty("value").GetDouble());
            Assert.Equal(agent.ToString(), json.GetProperty("data").GetProperty("agentId").GetString());
        }
        finally
        {
            await admin.DeleteAsync("/api/v1/webhooks/alerts-team");
        }
    }

    [Fact]
    public async Task Put_WithBadRules_NamesEveryField()
    {
        var problem = await ProblemAssert.HasFieldErrorAsync(
            await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { metric = "cpu_percent", mount = "/", forSeconds = -1, severity = "loud", parameters = new { x = 1 } }), "op");
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "threshold", "mount", "forSeconds", "severity", "parameters" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"{field} missing in {errors}");
        }

        await ProblemAssert.HasFieldErrorAsync(await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { metric = "cpu_percent", schedule = "x", severity = "info" }), "metric");
        await ProblemAssert.HasFieldErrorAsync(await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { metric = "gpu", op = ">", threshold = 1, severity = "info" }), "metric");
        await ProblemAssert.HasFieldErrorAsync(await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { schedule = "nightly", severity = "info" }), "consecutiveFailures");
        await ProblemAssert.HasFieldErrorAsync(await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { metric = "disk_free_percent", op = "<", threshold = 150, severity = "info" }), "threshold");
        await ProblemAssert.HasFieldErrorAsync(await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { metric = "agent_offline", op = ">", threshold = 1, severity = "info" }), "op");
        await ProblemAssert.HasFieldErrorAsync(
            await _operator.PutAsJsonAsync("/api/v1/alert-rules/bad", new { metric = "load1", op = ">", threshold = 1, severity = "info", runbook = "r", parameters = new { a = "${alert.secret}" } }), "parameters.a");
        await ProblemAssert.HasFieldErrorAsync(await _operator.PutAsJsonAsync("/api/v1/alert-rules/Bad!", new { metric = "load1", op = ">", threshold = 1, severity = "info" }), "name");
        await ProblemAssert.HasFieldErrorAsync(await _operator.GetAsync("/api/v1/alerts?state=burning"), "state");
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.CreateClient(Roles.Viewer).PutAsJsonAsync("/api/v1/alert-rules/v", new { metric = "load1", op = ">", threshold = 1, severity = "info" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _operator.GetAsync("/api/v1/alert-rules/bad")).StatusCode);
    }
}
