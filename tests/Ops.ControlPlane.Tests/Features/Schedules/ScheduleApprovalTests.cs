using System.Net;
using System.Text;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>
/// A schedule's approval (DESIGN.md §13–14, issue 12): a schedule of destructive work (or of a
/// runbook that needs an approval) is approved once for its content, by another person than its
/// last editor; its slots then run without a new approval, on the agents frozen at save time, until
/// its content changes. Real PostgreSQL, the scheduler on a manual clock; every assertion is on what
/// was recorded, never on timing.
/// </summary>
public sealed class ScheduleApprovalTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 6, 10, 10, 0, 30, TimeSpan.Zero);
    private static readonly string[] RestoreCapable = ["postgres.restore", "agent.ping"];
    private ScheduleFactory _host = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;
    private HttpClient _viewer = null!;

    public async Task InitializeAsync()
    {
        _host = new ScheduleFactory(Start);
        await _host.InitializeAsync();
        _alice = _host.Client(Roles.Operator, "alice");
        _bob = _host.Client(Roles.Admin, "bob");
        _viewer = _host.Client(Roles.Viewer, "vera");
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)_host).DisposeAsync();

    private static DateTimeOffset At(int hour, int minute) => new(2026, 6, 10, hour, minute, 0, TimeSpan.Zero);

    private static object Restore(string pool, string file = "demo-20260101-000000.dump", string? description = null) => new
    {
        cron = "* * * * *",
        overlap = "allow",
        description,
        operation = new
        {
            kind = "postgres.restore",
            parameters = new { database = "demo", file },
            target = new { labels = new Dictionary<string, string> { ["pool"] = pool } },
            timeoutSeconds = 86_400,
        },
    };

    private Task<Guid> SeedRestoreAgentAsync(string pool) =>
        _host.SeedAgentAsync(new Dictionary<string, string> { ["pool"] = pool }, RestoreCapable);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(HttpClient client, string name, object body)
    {
        var response = await client.PutAsync($"/api/v1/schedules/{name}", new StringContent(
            JsonSerializer.Serialize(body, Ops.Contracts.Json.OpsJson.Default), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT {name}: {(int)response.StatusCode} {text}");
        return (response.StatusCode, JsonDocument.Parse(text).RootElement);
    }

    private static Task<HttpResponseMessage> DecideAsync(HttpClient client, Guid approvalId, string verdict) =>
        client.PostJsonAsync($"/api/v1/approvals/{approvalId}/{verdict}", new { comment = "checked" });

    private async Task<JsonElement> GetJsonAsync(string url) => await ScheduleFactory.JsonAsync(await _viewer.GetAsync(url));

    private static Guid ApprovalId(JsonElement schedule) => schedule.GetProperty("approval").GetProperty("id").GetGuid();

    private static string ApprovalStatus(JsonElement schedule) => schedule.GetProperty("approval").GetProperty("status").GetString()!;

    private async Task<Guid> SaveApprovedAsync(string name, string pool, string file = "demo-20260101-000000.dump")
    {
        var (_, schedule) = await PutAsync(_alice, name, Restore(pool, file));
        var approvalId = ApprovalId(schedule);
        var approved = await DecideAsync(_bob, approvalId, "approve");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("approved", (await approved.ReadJsonAsync()).GetProperty("status").GetString());
        return approvalId;
    }

    private async Task<Guid?> SlotApprovalAsync(string name, DateTimeOffset slotAt) => Assert.Single(await _host.QueryAsync<Guid?>(
        "SELECT sl.approval_id FROM schedule_slots sl JOIN schedules s ON s.id = sl.schedule_id WHERE s.name = @name AND s.deleted_at IS NULL AND sl.slot_at = @slotAt",
        new { name, slotAt }));

    [Fact]
    public async Task Schedule_OfADestructiveKind_StartsPendingApprovalAndItsDueSlotDoesNotRun()
    {
        var agent = await SeedRestoreAgentAsync("pending");

        var (status, schedule) = await PutAsync(_alice, "restore-pending", Restore("pending"));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("pending", ApprovalStatus(schedule));
        var approvalId = ApprovalId(schedule);
        var listed = await GetJsonAsync("/api/v1/approvals?status=pending&resourceType=schedule");
        var approval = Assert.Single(listed.GetProperty("items").EnumerateArray(), a => a.GetProperty("id").GetGuid() == approvalId);
        Assert.Equal(("alice", "destructive"), (approval.GetProperty("requestedBy").GetString(), approval.GetProperty("risk").GetString()));
        Assert.Equal(schedule.GetProperty("approval").GetProperty("requestHash").GetString(), approval.GetProperty("requestHash").GetString());
        var request = approval.GetProperty("request");
        Assert.Equal(("* * * * *", "UTC"), (request.GetProperty("cron").GetString(), request.GetProperty("timeZone").GetString()));
        Assert.Equal("postgres.restore", request.GetProperty("operation").GetProperty("kind").GetString());
        Assert.Equal("demo-20260101-000000.dump", request.GetProperty("operation").GetProperty("parameters").GetProperty("file").GetString());
        var frozen = Assert.Single(request.GetProperty("agents").EnumerateArray());
        Assert.Equal((agent, $"host-{agent.ToString()[^6..]}"), (frozen.GetProperty("id").GetGuid(), frozen.GetProperty("hostname").GetString()));

        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("restore-pending", s => s.Count == 1, "the 10:01 slot"));

        Assert.Equal("skipped", slot.Status);
        Assert.Null(slot.OperationId);
        Assert.Contains($"approval {approvalId} of this schedule is pending", slot.Error);
        Assert.Equal(approvalId, await SlotApprovalAsync("restore-pending", At(10, 1)));
        Assert.Equal(0, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = 'schedule:restore-pending'"));
        var missed = JsonDocument.Parse(Assert.Single(await _host.QueryAsync<string>(
            "SELECT data::text FROM events WHERE type = 'schedule.slot_missed' AND resource_id = 'restore-pending'"))).RootElement;
        Assert.Equal(approvalId, missed.GetProperty("approvalId").GetGuid());
        Assert.Contains("pending", missed.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Schedule_ApprovedByASecondAdmin_RunsItsSlotsWithoutANewApprovalOnTheFrozenAgents()
    {
        var agent = await SeedRestoreAgentAsync("approved");
        var (_, schedule) = await PutAsync(_alice, "restore-approved", Restore("approved"));
        var approvalId = ApprovalId(schedule);

        // The requester (its last editor) cannot decide, whatever her role; an operator cannot decide destructive work.
        await ProblemAssert.IsProblemAsync(await DecideAsync(_host.Client(Roles.Admin, "alice"), approvalId, "approve"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await DecideAsync(_host.Client(Roles.Operator, "olga"), approvalId, "approve"), HttpStatusCode.Forbidden);
        Assert.Equal("pending", ApprovalStatus(await GetJsonAsync("/api/v1/schedules/restore-approved")));
        var approved = await DecideAsync(_bob, approvalId, "approve");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("approved", ApprovalStatus(await GetJsonAsync("/api/v1/schedules/restore-approved")));
        // Enrolled after the approval, with matching labels: not added (targets are frozen at save time).
        await SeedRestoreAgentAsync("approved");

        await _host.SetTimeAsync(At(10, 1));
        var first = Assert.Single(await _host.WaitForSlotsAsync("restore-approved", s => s.Count == 1, "the 10:01 slot"));
        // Restores of one database take its implicit lock: the first ends before the next slot, which then runs at once too.
        await _host.FinishOperationAsync(first.OperationId!.Value, "succeeded");
        await _host.WaitForSlotsAsync("restore-approved", s => s[0].Status == "succeeded", "the 10:01 slot to succeed");
        await _host.SetTimeAsync(At(10, 2));
        var slots = await _host.WaitForSlotsAsync("restore-approved", s => s.Count == 2, "the 10:02 slot");

        Assert.Equal(["succeeded", "started"], slots.Select(s => s.Status));
        foreach (var slot in slots)
        {
            var operation = await GetJsonAsync($"/api/v1/operations/{slot.OperationId}");
            var job = Assert.Single(operation.GetProperty("jobs").EnumerateArray());
            Assert.Equal(agent, job.GetProperty("agentId").GetGuid());
            Assert.Equal(slot.At == At(10, 1) ? "succeeded" : "queued", operation.GetProperty("status").GetString());
            // The operation names the schedule's approval that covered its slot (it has none of its own).
            Assert.Equal(approvalId, operation.GetProperty("approvalId").GetGuid());
            Assert.Equal(approvalId, await SlotApprovalAsync("restore-approved", slot.At));
            Assert.Equal(approvalId.ToString(), Assert.Single(await _host.QueryAsync<string>(
                "SELECT details->>'approvalId' FROM audit_log WHERE action = 'operation.create' AND resource_id = @id", new { id = slot.OperationId.ToString() })));
        }

        Assert.Equal(0, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM approvals WHERE resource_type = 'operation'"));
        Assert.Equal(1, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM approvals WHERE resource_type = 'schedule'"));
    }

    [Fact]
    public async Task Schedule_WhenItsContentChanges_VoidsTheApprovalAndItsSlotsWaitForTheNewOne()
    {
        await SeedRestoreAgentAsync("changed");
        var oldId = await SaveApprovedAsync("restore-changed", "changed");
        var oldHash = (await GetJsonAsync($"/api/v1/approvals/{oldId}")).GetProperty("requestHash").GetString();

        var (status, schedule) = await PutAsync(_alice, "restore-changed", Restore("changed", file: "demo-20260202-000000.dump"));

        Assert.Equal(HttpStatusCode.OK, status);
        var newId = ApprovalId(schedule);
        Assert.NotEqual(oldId, newId);
        Assert.Equal("pending", ApprovalStatus(schedule));
        Assert.NotEqual(oldHash, schedule.GetProperty("approval").GetProperty("requestHash").GetString());
        var old = await GetJsonAsync($"/api/v1/approvals/{oldId}");
        Assert.Equal("cancelled", old.GetProperty("status").GetString());
        Assert.Single(old.GetProperty("decisions").EnumerateArray()); // bob's approval stays on record
        Assert.Equal(1, await _host.QueryScalarAsync<int>(
            "SELECT count(*)::int FROM audit_log WHERE action = 'approval.cancel' AND resource_id = @id AND actor = 'alice'", new { id = oldId.ToString() }));
        // A void approval cannot be decided again.
        await ProblemAssert.IsProblemAsync(await DecideAsync(_host.Client(Roles.Admin, "carl"), oldId, "approve"), HttpStatusCode.Conflict);

        await _host.SetTimeAsync(At(10, 1));
        var first = Assert.Single(await _host.WaitForSlotsAsync("restore-changed", s => s.Count == 1, "the 10:01 slot"));
        Assert.Equal("skipped", first.Status);
        Assert.Contains("pending", first.Error);
        Assert.Equal(newId, await SlotApprovalAsync("restore-changed", At(10, 1)));

        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(_bob, newId, "approve")).StatusCode);
        await _host.SetTimeAsync(At(10, 2));
        var slots = await _host.WaitForSlotsAsync("restore-changed", s => s.Count == 2, "the 10:02 slot");
        Assert.Equal("started", slots[1].Status);
        var operation = await GetJsonAsync($"/api/v1/operations/{slots[1].OperationId}");
        Assert.Equal("queued", operation.GetProperty("status").GetString());
        Assert.Equal("demo-20260202-000000.dump", operation.GetProperty("parameters").GetProperty("file").GetString());
        Assert.Equal(newId, operation.GetProperty("approvalId").GetGuid());
        Assert.Equal(newId, await SlotApprovalAsync("restore-changed", At(10, 2)));
    }

    [Fact]
    public async Task Schedule_WhenPutAgainUnchangedPausedResumedOrRedescribed_KeepsItsApprovalAndRuns()
    {
        await SeedRestoreAgentAsync("kept");
        var approvalId = await SaveApprovedAsync("restore-kept", "kept");

        var (status, again) = await PutAsync(_alice, "restore-kept", Restore("kept"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((approvalId, "approved"), (ApprovalId(again), ApprovalStatus(again)));
        Assert.Equal(1, again.GetProperty("version").GetInt32());

        var paused = await ScheduleFactory.JsonAsync(await _alice.PostAsync("/api/v1/schedules/restore-kept/pause", null));
        Assert.Equal((approvalId, "approved"), (ApprovalId(paused), ApprovalStatus(paused)));
        var resumed = await ScheduleFactory.JsonAsync(await _alice.PostAsync("/api/v1/schedules/restore-kept/resume", null));
        Assert.Equal((approvalId, "approved"), (ApprovalId(resumed), ApprovalStatus(resumed)));

        // The description does not change what runs: a new version, the same approval.
        var (_, described) = await PutAsync(_alice, "restore-kept", Restore("kept", description: "seed 000: restore test"));
        Assert.Equal(2, described.GetProperty("version").GetInt32());
        Assert.Equal((approvalId, "approved"), (ApprovalId(described), ApprovalStatus(described)));
        Assert.Equal(1, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM approvals WHERE resource_type = 'schedule'"));

        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("restore-kept", s => s.Count == 1, "the 10:01 slot"));
        Assert.Equal("started", slot.Status);
        Assert.Equal(approvalId, await SlotApprovalAsync("restore-kept", At(10, 1)));
    }

    [Fact]
    public async Task Schedule_WhenItsApprovalIsRejected_SkipsItsSlotsUntilSavedAgainForANewApproval()
    {
        await SeedRestoreAgentAsync("rejected");
        var (_, schedule) = await PutAsync(_alice, "restore-rejected", Restore("rejected"));
        var rejectedId = ApprovalId(schedule);
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(_bob, rejectedId, "reject")).StatusCode);

        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("restore-rejected", s => s.Count == 1, "the 10:01 slot"));
        Assert.Equal("skipped", slot.Status);
        Assert.Contains("rejected by bob", slot.Error);

        var (_, again) = await PutAsync(_alice, "restore-rejected", Restore("rejected"));
        Assert.NotEqual(rejectedId, ApprovalId(again));
        Assert.Equal("pending", ApprovalStatus(again));
        Assert.Equal("rejected", (await GetJsonAsync($"/api/v1/approvals/{rejectedId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Schedule_WhenPutAgainAfterAnotherAgentMatches_AsksForAnApprovalOfTheNewAgentSet()
    {
        await SeedRestoreAgentAsync("grown");
        var oldId = await SaveApprovedAsync("restore-grown", "grown");
        var late = await SeedRestoreAgentAsync("grown");

        var (_, again) = await PutAsync(_alice, "restore-grown", Restore("grown"));

        var newId = ApprovalId(again);
        Assert.NotEqual(oldId, newId);
        Assert.Equal("pending", ApprovalStatus(again));
        Assert.Equal(1, again.GetProperty("version").GetInt32());
        var agents = (await GetJsonAsync($"/api/v1/approvals/{newId}")).GetProperty("request").GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(2, agents.Count);
        Assert.Contains(late, agents);
        Assert.Equal("cancelled", (await GetJsonAsync($"/api/v1/approvals/{oldId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Schedule_WhenDeleted_WithdrawsItsApproval()
    {
        await SeedRestoreAgentAsync("deleted");
        var (_, schedule) = await PutAsync(_alice, "restore-deleted", Restore("deleted"));

        Assert.Equal(HttpStatusCode.NoContent, (await _bob.DeleteAsync("/api/v1/schedules/restore-deleted")).StatusCode);

        Assert.Equal("cancelled", (await GetJsonAsync($"/api/v1/approvals/{ApprovalId(schedule)}")).GetProperty("status").GetString());
        await ProblemAssert.IsProblemAsync(await DecideAsync(_bob, ApprovalId(schedule), "approve"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Schedule_WhenItsApprovalExpires_SkipsItsSlotsAndALateApprovalIsRefused()
    {
        // This test's control plane gives approvals 20 s (the class's host is replaced; DisposeAsync stops this one).
        await ((IAsyncLifetime)_host).DisposeAsync();
        var host = _host = new ScheduleFactory(Start, new Dictionary<string, string?> { ["Approvals:DefaultTtl"] = "00:00:20" });
        await host.InitializeAsync();
        await host.SeedAgentAsync(new Dictionary<string, string> { ["pool"] = "expired" }, RestoreCapable);
        var (_, schedule) = await PutAsync(host.Client(Roles.Operator, "alice"), "restore-expired", Restore("expired"));
        var approvalId = ApprovalId(schedule);

        await host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await host.WaitForSlotsAsync("restore-expired", s => s.Count == 1, "the 10:01 slot"));

        Assert.Equal("skipped", slot.Status);
        Assert.Contains($"approval {approvalId} of this schedule expired", slot.Error);
        var late = await DecideAsync(host.Client(Roles.Admin, "bob"), approvalId, "approve");
        // 409 either way: expired on the spot by this decision, or already by the expiry step (its real timer may have fired).
        await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict);
        Assert.Equal("expired", (await ScheduleFactory.JsonAsync(await host.Client(Roles.Viewer).GetAsync($"/api/v1/approvals/{approvalId}"))).GetProperty("status").GetString());
        Assert.Equal(0, await host.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = 'schedule:restore-expired'"));
        var (_, again) = await PutAsync(host.Client(Roles.Operator, "alice"), "restore-expired", Restore("expired"));
        Assert.NotEqual(approvalId, ApprovalId(again));
        Assert.Equal("pending", ApprovalStatus(again));
    }

    [Fact]
    public async Task Schedule_OfANonDestructiveKind_NeedsNoApprovalAndRunsAtOnce()
    {
        var agent = await _host.SeedAgentAsync();

        var (_, schedule) = await PutAsync(_alice, "ping", new { cron = "* * * * *", operation = ScheduleFactory.Ping(agent) });

        Assert.Equal(JsonValueKind.Null, schedule.GetProperty("approval").ValueKind);
        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("ping", s => s.Count == 1, "the 10:01 slot"));
        Assert.Equal("started", slot.Status);
        Assert.Null(await SlotApprovalAsync("ping", At(10, 1)));
        Assert.Equal(0, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM approvals"));
    }

    [Fact]
    public async Task Schedule_WhenTheTargetResolvesToNoAgentToFreeze_Returns400AndSavesNothing()
    {
        var response = await _alice.PutAsync("/api/v1/schedules/restore-nowhere", new StringContent(
            JsonSerializer.Serialize(Restore("nobody-here"), Ops.Contracts.Json.OpsJson.Default), Encoding.UTF8, "application/json"));

        await ProblemAssert.HasFieldErrorAsync(response, "operation.target.labels");
        await ProblemAssert.IsProblemAsync(await _viewer.GetAsync("/api/v1/schedules/restore-nowhere"), HttpStatusCode.NotFound);
        Assert.Equal(0, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM approvals"));
    }

    [Fact]
    public async Task Schedule_OfARunbookThatNeedsApproval_StartsCoveredRunsAndANewRunbookVersionIsNotCovered()
    {
        await _host.SeedAgentAsync(new Dictionary<string, string> { ["pool"] = "runbook" });
        const string Runbook = """
            {"approval": {"minApprovals": 1},
             "steps": [{"name": "ping", "kind": "agent.ping", "target": {"labels": {"pool": "runbook"}}, "timeoutSeconds": 86400}]}
            """;
        var saved = await _alice.PutAsync("/api/v1/runbooks/approved-ping", new StringContent(Runbook, Encoding.UTF8, "application/json"));
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());

        var (_, schedule) = await PutAsync(_alice, "runbook-approved", new { cron = "* * * * *", overlap = "allow", runbook = "approved-ping" });
        var approvalId = ApprovalId(schedule);
        var approval = await GetJsonAsync($"/api/v1/approvals/{approvalId}");
        Assert.Equal(("mutating", 1), (approval.GetProperty("risk").GetString(), approval.GetProperty("request").GetProperty("runbook").GetProperty("version").GetInt32()));
        // Mutating work: an operator other than the editor may approve it.
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(_host.Client(Roles.Operator, "olga"), approvalId, "approve")).StatusCode);

        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("runbook-approved", s => s.Count == 1, "the 10:01 slot"));
        Assert.Equal("started", slot.Status);
        var runId = await _host.QueryScalarAsync<Guid>(
            "SELECT sl.run_id FROM schedule_slots sl JOIN schedules s ON s.id = sl.schedule_id WHERE s.name = 'runbook-approved'");
        var run = await GetJsonAsync($"/api/v1/runbook-runs/{runId}");
        Assert.NotEqual("pending_approval", run.GetProperty("status").GetString());
        Assert.Equal(approvalId, run.GetProperty("approvalId").GetGuid());
        Assert.Equal(0, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM approvals WHERE resource_type = 'runbook_run'"));
        Assert.Equal(approvalId.ToString(), Assert.Single(await _host.QueryAsync<string>(
            "SELECT details->>'approvalId' FROM audit_log WHERE action = 'runbook_run.create' AND resource_id = @id", new { id = runId.ToString() })));

        // A new version of the runbook is other content: not covered until the schedule is saved and approved again.
        var changed = await _alice.PutAsync("/api/v1/runbooks/approved-ping", new StringContent(Runbook.Replace("86400", "3600", StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        Assert.True(changed.IsSuccessStatusCode, await changed.Content.ReadAsStringAsync());
        await _host.SetTimeAsync(At(10, 2));
        var slots = await _host.WaitForSlotsAsync("runbook-approved", s => s.Count == 2, "the 10:02 slot");
        Assert.Equal("skipped", slots[1].Status);
        Assert.Contains("is now version 2", slots[1].Error);

        var (_, again) = await PutAsync(_alice, "runbook-approved", new { cron = "* * * * *", overlap = "allow", runbook = "approved-ping" });
        Assert.NotEqual(approvalId, ApprovalId(again));
        Assert.Equal("pending", ApprovalStatus(again));
    }
}
