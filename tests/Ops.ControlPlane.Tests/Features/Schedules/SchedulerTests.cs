using System.Net;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>
/// The scheduler on a manual clock (DESIGN.md §13): overlap policies, catch-up after an outage,
/// daylight-saving time, pause/resume/trigger, and changes taking effect at once. Every assertion
/// is on the set of recorded slots, never on timing.
/// </summary>
public sealed class SchedulerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 6, 10, 10, 0, 30, TimeSpan.Zero);
    private ScheduleFactory _host = null!;
    private Guid _agent;

    public async Task InitializeAsync()
    {
        _host = new ScheduleFactory(Start);
        await _host.InitializeAsync();
        _agent = await _host.SeedAgentAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)_host).DisposeAsync();

    private static DateTimeOffset At(int hour, int minute) => new(2026, 6, 10, hour, minute, 0, TimeSpan.Zero);

    private async Task PutAsync(string name, object body, ScheduleFactory? host = null)
    {
        var response = await (host ?? _host).Client(Roles.Operator).PutAsync($"/api/v1/schedules/{name}", JsonContent(body));
        await ScheduleFactory.JsonAsync(response);
    }

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body, Ops.Contracts.Json.OpsJson.Default), System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Overlap_WhenSkipAndThePreviousRunIsUnfinished_RecordsTheSlotSkippedAndFailureEmitsSlotFailed()
    {
        await PutAsync("skip", new { cron = "* * * * *", operation = ScheduleFactory.Ping(_agent) });

        await _host.SetTimeAsync(At(10, 1));
        var slots = await _host.WaitForSlotsAsync("skip", s => s.Count == 1, "the 10:01 slot");
        var first = Assert.Single(slots);
        Assert.Equal(("started", At(10, 1)), (first.Status, first.At));
        Assert.NotNull(first.OperationId);

        await _host.SetTimeAsync(At(10, 2));
        slots = await _host.WaitForSlotsAsync("skip", s => s.Count == 2, "the 10:02 slot");
        Assert.Equal("skipped", slots[1].Status);
        Assert.Contains("unfinished", slots[1].Error);
        Assert.Null(slots[1].OperationId);

        await _host.FinishOperationAsync(first.OperationId!.Value, "failed");
        await _host.WaitForSlotsAsync("skip", s => s[0].Status == "failed", "the first slot to fail with its operation");
        var data = JsonDocument.Parse(await _host.QueryScalarAsync<string>(
            "SELECT data::text FROM events WHERE type = 'schedule.slot_failed' AND resource_id = 'skip'")).RootElement;
        Assert.Equal("skip", data.GetProperty("schedule").GetString());
        Assert.Equal(first.OperationId.Value, data.GetProperty("operationId").GetGuid());
        Assert.Equal("failed", data.GetProperty("status").GetString());

        await _host.SetTimeAsync(At(10, 3));
        slots = await _host.WaitForSlotsAsync("skip", s => s.Count == 3, "the 10:03 slot");
        Assert.Equal(["failed", "skipped", "started"], slots.Select(s => s.Status));
        Assert.Equal("failed", slots[0].Outcome);
    }

    [Fact]
    public async Task Overlap_WhenBufferOne_StartsOneWaitingSlotWhenThePreviousRunEndsAndSkipsTheRest()
    {
        await PutAsync("buffer", new { cron = "* * * * *", overlap = "buffer_one", operation = ScheduleFactory.Ping(_agent) });

        await _host.SetTimeAsync(At(10, 1));
        var first = Assert.Single(await _host.WaitForSlotsAsync("buffer", s => s.Count == 1, "the 10:01 slot"));
        await _host.SetTimeAsync(At(10, 2));
        var schedule = await _host.WaitForScheduleAsync("buffer", s => s.GetProperty("bufferedSlotAt").ValueKind == JsonValueKind.String, "10:02 to wait");
        Assert.Equal(At(10, 2), schedule.GetProperty("bufferedSlotAt").GetDateTimeOffset());
        await _host.SetTimeAsync(At(10, 3));
        var slots = await _host.WaitForSlotsAsync("buffer", s => s.Count == 2, "10:03 to be skipped");
        Assert.Equal(("skipped", At(10, 3)), (slots[1].Status, slots[1].At));

        await _host.FinishOperationAsync(first.OperationId!.Value, "succeeded");
        slots = await _host.WaitForSlotsAsync("buffer", s => s.Count == 3, "the buffered 10:02 slot to start");
        Assert.Equal(
            [("succeeded", At(10, 1)), ("started", At(10, 2)), ("skipped", At(10, 3))],
            slots.Select(s => (s.Status, s.At)));
        Assert.True(slots[1].Late);
        Assert.NotNull(slots[1].OperationId);
        Assert.Equal(1, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM events WHERE type = 'schedule.slot_succeeded' AND resource_id = 'buffer'"));
    }

    [Fact]
    public async Task Overlap_WhenAllow_StartsEverySlotWhileTheEarlierRunsAreUnfinished()
    {
        await PutAsync("allow", new { cron = "* * * * *", overlap = "allow", operation = ScheduleFactory.Ping(_agent) });

        await _host.SetTimeAsync(At(10, 1));
        await _host.WaitForSlotsAsync("allow", s => s.Count == 1, "the 10:01 slot");
        await _host.SetTimeAsync(At(10, 2));
        var slots = await _host.WaitForSlotsAsync("allow", s => s.Count == 2, "the 10:02 slot");

        Assert.All(slots, s => Assert.Equal("started", s.Status));
        Assert.Equal(2, slots.Select(s => s.OperationId).Distinct().Count());
        Assert.Equal(2, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = 'schedule:allow' AND status = 'queued'"));
    }

    [Fact]
    public async Task Overlap_WhenCancelOther_CancelsTheUnfinishedRunAndStartsTheSlot()
    {
        await PutAsync("replace", new { cron = "* * * * *", overlap = "cancel_other", operation = ScheduleFactory.Ping(_agent) });

        await _host.SetTimeAsync(At(10, 1));
        var first = Assert.Single(await _host.WaitForSlotsAsync("replace", s => s.Count == 1, "the 10:01 slot"));
        await _host.SetTimeAsync(At(10, 2));
        var slots = await _host.WaitForSlotsAsync("replace", s => s.Count == 2 && s[0].Status != "started", "10:02 to replace 10:01");

        Assert.Equal(("failed", "cancelled"), (slots[0].Status, slots[0].Outcome));
        Assert.Equal("started", slots[1].Status);
        Assert.NotEqual(first.OperationId, slots[1].OperationId);
        Assert.Equal("cancelled", await _host.QueryScalarAsync<string>("SELECT status FROM operations WHERE id = @id", new { id = first.OperationId }));
    }

    [Fact]
    public async Task CatchUp_AfterAThreeHourOutageOfAnHourlySchedule_StartsOnlyTheLatestSlotLateAndRecordsTwoMissed()
    {
        var midnight = new DateTimeOffset(2026, 6, 11, 0, 0, 0, TimeSpan.Zero);
        await _host.SetTimeAsync(midnight.AddMinutes(30));
        await PutAsync("hourly", new { cron = "0 * * * *", operation = ScheduleFactory.Ping(_agent) });
        var connection = _host.ConnectionString;
        await ((IAsyncLifetime)_host).DisposeAsync();

        // The control plane was down from 00:30 to 03:30: 01:00, 02:00 and 03:00 passed unseen.
        _host = new ScheduleFactory(midnight.AddHours(3).AddMinutes(30)) { SharedConnectionString = connection };
        await _host.InitializeAsync();
        var slots = await _host.WaitForSlotsAsync("hourly", s => s.Count == 3, "the three slots of the outage");

        Assert.Equal(
            [("missed", midnight.AddHours(1)), ("missed", midnight.AddHours(2)), ("started", midnight.AddHours(3))],
            slots.Select(s => (s.Status, s.At)));
        Assert.All(slots, s => Assert.True(s.Late));
        Assert.NotNull(slots[2].OperationId);
        Assert.Equal(2, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM events WHERE type = 'schedule.slot_missed' AND resource_id = 'hourly'"));
        Assert.Equal(1, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = 'schedule:hourly'"));

        await _host.SetTimeAsync(midnight.AddHours(4));
        slots = await _host.WaitForSlotsAsync("hourly", s => s.Count == 4, "the 04:00 slot");
        Assert.Equal(("skipped", false), (slots[3].Status, slots[3].Late));
    }

    [Fact]
    public async Task CatchUp_WhenTheOutageIsLongerThanTheWindow_RecordsEverySlotMissedAndStartsNone()
    {
        var midnight = new DateTimeOffset(2026, 6, 11, 0, 0, 0, TimeSpan.Zero);
        await _host.SetTimeAsync(midnight.AddMinutes(30));
        await PutAsync("short-window", new { cron = "0 * * * *", catchupWindowSeconds = 600, operation = ScheduleFactory.Ping(_agent) });

        await _host.SetTimeAsync(midnight.AddHours(2).AddMinutes(30));
        var slots = await _host.WaitForSlotsAsync("short-window", s => s.Count == 2, "the two missed slots");

        Assert.Equal([("missed", midnight.AddHours(1)), ("missed", midnight.AddHours(2))], slots.Select(s => (s.Status, s.At)));
    }

    [Theory]
    [InlineData("2027-03-27T12:00:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z")] // 02:30 does not exist: 03:00 CEST
    [InlineData("2027-10-30T12:00:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z")] // 02:30 happens twice: once, in CEST
    public async Task DaylightSaving_InEuropeParis_RunsTheDailyHalfPastTwoSlotOnceOnTheDayOfTheChange(string from, string changeDay, string nextDay)
    {
        var start = DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture);
        var first = DateTimeOffset.Parse(changeDay, System.Globalization.CultureInfo.InvariantCulture);
        var second = DateTimeOffset.Parse(nextDay, System.Globalization.CultureInfo.InvariantCulture);
        await _host.SetTimeAsync(start);
        await PutAsync("paris", new { cron = "30 2 * * *", timeZone = "Europe/Paris", overlap = "allow", operation = ScheduleFactory.Ping(_agent) });

        var schedule = await ScheduleFactory.JsonAsync(await _host.Client(Roles.Viewer).GetAsync("/api/v1/schedules/paris"));
        var nextRuns = schedule.GetProperty("nextRuns").EnumerateArray().ToList();
        Assert.Equal([first, second], nextRuns.Take(2).Select(r => r.GetProperty("utc").GetDateTimeOffset()));
        Assert.Equal(new TimeSpan(2, 30, 0), nextRuns[1].GetProperty("local").GetDateTimeOffset().TimeOfDay);

        // Through the night of the change: half an hour before the slot, the slot, an hour later
        // (the repeated 02:30 in October), then the next day's slot. A slot at any other time
        // would be recorded (started or missed) and show in the set.
        await _host.SetTimeAsync(first.AddMinutes(-30));
        await _host.SetTimeAsync(first);
        await _host.WaitForSlotsAsync("paris", s => s.Any(x => x.At == first), "the slot of the day of the change");
        await _host.SetTimeAsync(first.AddHours(1));
        await _host.SetTimeAsync(second);
        var slots = await _host.WaitForSlotsAsync("paris", s => s.Any(x => x.At == second), "the next day's slot");
        Assert.Equal([first, second], slots.Select(s => s.At));
        // Each started on time with its operation. The first one's ping may since have timed out (the
        // clock jumped 25 h, past its 24 h deadline, and the lease reaper may have run): its outcome
        // is not what this test is about.
        Assert.All(slots, s => Assert.Equal((true, false), (s.OperationId is not null, s.Late)));
        Assert.Equal("started", slots[1].Status);
    }

    [Fact]
    public async Task PauseResumeTrigger_PausedSchedulesStartNothingButATriggerAndResumeStartsAtTheNextSlot()
    {
        await PutAsync("pausable", new { cron = "* * * * *", overlap = "allow", operation = ScheduleFactory.Ping(_agent) });
        var client = _host.Client(Roles.Operator);
        var paused = await ScheduleFactory.JsonAsync(await client.PostAsync("/api/v1/schedules/pausable/pause", null));
        Assert.True(paused.GetProperty("paused").GetBoolean());

        await _host.SetTimeAsync(At(10, 1).AddSeconds(10));
        var triggered = await client.PostAsync("/api/v1/schedules/pausable/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, triggered.StatusCode);
        var slot = (await ScheduleFactory.JsonAsync(triggered)).GetProperty("slot");
        Assert.Equal("started", slot.GetProperty("status").GetString());
        Assert.True(slot.GetProperty("manual").GetBoolean());
        var operationId = slot.GetProperty("operationId").GetGuid();
        Assert.Equal("schedule:pausable", await _host.QueryScalarAsync<string>("SELECT created_by FROM operations WHERE id = @operationId", new { operationId }));

        var resumed = await ScheduleFactory.JsonAsync(await client.PostAsync("/api/v1/schedules/pausable/resume", null));
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        Assert.Equal(At(10, 2), resumed.GetProperty("nextRuns")[0].GetProperty("utc").GetDateTimeOffset());
        await _host.SetTimeAsync(At(10, 2));
        var slots = await _host.WaitForSlotsAsync("pausable", s => s.Count == 2, "the 10:02 slot");

        Assert.Equal([(true, At(10, 1).AddSeconds(10)), (false, At(10, 2))], slots.Select(s => (s.Manual, s.At)));
        Assert.Equal(
            ["schedule.pause", "schedule.trigger", "schedule.resume"],
            await _host.QueryAsync<string>("SELECT action FROM audit_log WHERE resource_id = 'pausable' AND action <> 'schedule.create' ORDER BY id"));
    }

    [Fact]
    public async Task Put_WhenTheExpressionChanges_TakesEffectWithoutRestart()
    {
        await PutAsync("changing", new { cron = "0 * * * *", overlap = "allow", operation = ScheduleFactory.Ping(_agent) });
        await _host.SetTimeAsync(At(10, 30));
        await PutAsync("changing", new { cron = "*/5 * * * *", overlap = "allow", operation = ScheduleFactory.Ping(_agent) });

        var schedule = await ScheduleFactory.JsonAsync(await _host.Client(Roles.Viewer).GetAsync("/api/v1/schedules/changing"));
        Assert.Equal(2, schedule.GetProperty("version").GetInt32());
        Assert.Equal(At(10, 35), schedule.GetProperty("nextRuns")[0].GetProperty("utc").GetDateTimeOffset());
        await _host.SetTimeAsync(At(10, 35));
        var slots = await _host.WaitForSlotsAsync("changing", s => s.Count == 1, "the 10:35 slot");
        Assert.Equal(At(10, 35), Assert.Single(slots).At);
    }

    [Fact]
    public async Task Slot_WhenAReplicaDiedAfterCreatingItsOperation_ReusesThatOperationInsteadOfStartingASecond()
    {
        await PutAsync("crashed", new { cron = "* * * * *", operation = ScheduleFactory.Ping(_agent) });
        var (id, operationJson) = (await _host.QueryAsync<(Guid, string)>("SELECT id, operation::text FROM schedules WHERE name = 'crashed'")).Single();

        // What a replica that died before committing its slot left behind: the slot's operation,
        // created under the slot's idempotency key, and no slot row.
        var request = JsonSerializer.Deserialize<Ops.ControlPlane.Features.Operations.CreateOperationRequest>(operationJson, Ops.Contracts.Json.OpsJson.Default)!;
        Ops.Contracts.Kinds.OperationKindCatalog.TryGet(request.Kind, out var kind);
        var store = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Ops.ControlPlane.Features.Operations.OperationStore>(_host.Services);
        var earlier = await store.CreateAsync(
            request, kind!, new Ops.ControlPlane.Infrastructure.Http.Caller("schedule:crashed", "scheduler", null, null),
            FormattableString.Invariant($"schedule-slot:{id:N}:{At(10, 1).UtcTicks}"), CancellationToken.None);
        var orphan = Assert.IsType<Ops.ControlPlane.Features.Operations.CreateOperationOutcome.Created>(earlier).Operation.Id;

        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("crashed", s => s.Count == 1, "the 10:01 slot"));

        Assert.Equal(("started", orphan), (slot.Status, slot.OperationId));
        Assert.Equal(1, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = 'schedule:crashed'"));
    }

    [Fact]
    public async Task Slot_WithJitter_StartsNoEarlierThanItsStableDelayAndKeepsItsScheduledTime()
    {
        await PutAsync("jittered", new { cron = "0 11 * * *", jitterSeconds = 600, operation = ScheduleFactory.Ping(_agent) });
        var id = await _host.QueryScalarAsync<Guid>("SELECT id FROM schedules WHERE name = 'jittered'");
        var delay = Ops.ControlPlane.Features.Schedules.ScheduleCron.Jitter(id, At(11, 0), 600);
        Assert.Equal(At(11, 0) + delay, await _host.QueryScalarAsync<DateTime>("SELECT next_due_at FROM schedules WHERE id = @id", new { id }) is var due
            ? new DateTimeOffset(DateTime.SpecifyKind(due, DateTimeKind.Utc)) : default);

        await _host.SetTimeAsync(At(11, 0) + delay);
        var slot = Assert.Single(await _host.WaitForSlotsAsync("jittered", s => s.Count == 1, "the jittered 11:00 slot"));
        Assert.Equal(("started", At(11, 0), false), (slot.Status, slot.At, slot.Late));
    }

    [Fact]
    public async Task Slot_WhenTheTargetMatchesNoAgent_IsRecordedFailedWithTheReason()
    {
        await PutAsync("nobody", new { cron = "* * * * *", operation = new { kind = "agent.ping", target = new { labels = new { role = "nowhere" } } } });

        await _host.SetTimeAsync(At(10, 1));
        var slot = Assert.Single(await _host.WaitForSlotsAsync("nobody", s => s.Count == 1, "the 10:01 slot"));

        Assert.Equal("failed", slot.Status);
        Assert.Contains("target.labels", slot.Error);
        Assert.Equal(1, await _host.QueryScalarAsync<int>("SELECT count(*)::int FROM events WHERE type = 'schedule.slot_failed' AND resource_id = 'nobody'"));
        var page = await ScheduleFactory.JsonAsync(await _host.Client(Roles.Viewer).GetAsync("/api/v1/schedules/nobody/slots"));
        Assert.Equal("failed", page.GetProperty("items")[0].GetProperty("status").GetString());
    }
}
