using System.Net;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>One control plane for the API tests of schedules, with <c>Schedules:MinIntervalSeconds</c> = 5.</summary>
public sealed class SchedulesApiFixture : IAsyncLifetime
{
    public ScheduleFactory Host { get; } = new(null, new Dictionary<string, string?> { ["Schedules:MinIntervalSeconds"] = "5" });

    public Guid Agent { get; private set; }

    public async Task InitializeAsync()
    {
        await Host.InitializeAsync();
        Agent = await Host.SeedAgentAsync();
    }

    public Task DisposeAsync() => ((IAsyncLifetime)Host).DisposeAsync();
}

/// <summary><c>/api/v1/schedules</c>: validation with field paths, roles, idempotent saves, next runs, audit (DESIGN.md §13).</summary>
public sealed class SchedulesApiTests(SchedulesApiFixture fixture) : IClassFixture<SchedulesApiFixture>
{
    private readonly HttpClient _operator = fixture.Host.Client(Roles.Operator);

    private object Ping => ScheduleFactory.Ping(fixture.Agent);

    private Task<HttpResponseMessage> PutAsync(string name, object body, HttpClient? client = null) =>
        (client ?? _operator).PutAsync($"/api/v1/schedules/{name}", new StringContent(
            body as string ?? JsonSerializer.Serialize(body, Ops.Contracts.Json.OpsJson.Default), System.Text.Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("not a cron", "cron")]
    [InlineData("0 2 * *", "cron")]
    [InlineData("61 2 * * *", "cron")]
    [InlineData("*/2 * * * * *", "cron")] // every 2 s, under Schedules:MinIntervalSeconds = 5
    public async Task Put_WhenTheExpressionIsInvalid_Returns400NamingCron(string cron, string field)
    {
        await ProblemAssert.HasFieldErrorAsync(await PutAsync("bad-cron", new { cron, operation = Ping }), field);
    }

    [Fact]
    public async Task Put_WhenASixFieldExpressionFiresNoMoreOftenThanTheMinimum_IsAccepted()
    {
        Assert.Equal(HttpStatusCode.Created, (await PutAsync("every-ten-seconds", new { cron = "*/10 * * * * *", paused = true, operation = Ping })).StatusCode);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("Romance Standard Time")] // a Windows id, not IANA
    [InlineData("")]
    public async Task Put_WhenTheTimeZoneIsUnknown_Returns400NamingTimeZone(string timeZone)
    {
        await ProblemAssert.HasFieldErrorAsync(await PutAsync("bad-zone", new { cron = "0 2 * * *", timeZone, operation = Ping }), "timeZone");
    }

    [Fact]
    public async Task Put_WhenBothOperationAndRunbookAreGiven_Returns400NamingBoth()
    {
        var problem = await ProblemAssert.HasFieldErrorAsync(await PutAsync("both", new { cron = "0 2 * * *", operation = Ping, runbook = "deploy" }), "operation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("runbook", out _));
    }

    [Fact]
    public async Task Put_WhenNeitherOperationNorRunbookIsGiven_Returns400NamingOperation()
    {
        await ProblemAssert.HasFieldErrorAsync(await PutAsync("neither", new { cron = "0 2 * * *" }), "operation");
    }

    [Fact]
    public async Task Put_WhenTheOperationsParametersAreInvalid_ReportsEveryErrorUnderOperation()
    {
        var response = await PutAsync("bad-operation", new
        {
            cron = "0 2 * * *",
            catchupWindowSeconds = -1,
            operation = new { kind = "host.disk", parameters = new { minFreePercent = 500 }, target = new { all = true, labels = new { env = "dev" } } },
        });

        var errors = (await ProblemAssert.HasFieldErrorAsync(response, "operation.parameters.minFreePercent")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("operation.target", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("catchupWindowSeconds", out _), errors.ToString());
    }

    [Fact]
    public async Task Put_WhenTheKindIsUnknown_Returns400NamingOperationKind()
    {
        await ProblemAssert.HasFieldErrorAsync(
            await PutAsync("bad-kind", new { cron = "0 2 * * *", operation = new { kind = "host.reboot", target = new { all = true } } }), "operation.kind");
    }

    [Fact]
    public async Task Put_WhenTheCatchUpWindowIsNegative_Returns400NamingIt()
    {
        await ProblemAssert.HasFieldErrorAsync(await PutAsync("bad-window", new { cron = "0 2 * * *", catchupWindowSeconds = -5, operation = Ping }), "catchupWindowSeconds");
    }

    [Fact]
    public async Task Put_WhenTheScheduledRunbookDoesNotExist_Returns400NamingRunbook()
    {
        var problem = await ProblemAssert.HasFieldErrorAsync(await PutAsync("runbook", new { cron = "0 2 * * *", runbook = "no-such-runbook", parameters = new { version = "1.2.3" } }), "runbook");
        Assert.Contains("No runbook 'no-such-runbook'", problem.GetProperty("errors").GetProperty("runbook")[0].GetString());
    }

    [Fact]
    public async Task Put_OfARunbookWithParametersItDoesNotAccept_Returns400NamingTheParameter()
    {
        var runbook = "sched-rb-" + Guid.NewGuid().ToString("N")[..8];
        var saved = await _operator.PutAsync($"/api/v1/runbooks/{runbook}", new StringContent(
            """{"parameters":{"days":{"type":"integer","minimum":1}},"required":["days"],"steps":[{"name":"ping","kind":"agent.ping","target":{"all":true}}]}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());

        var wrong = await PutAsync("rb-wrong", new { cron = "0 2 * * *", runbook, parameters = new { days = "three" } });
        var right = await PutAsync("rb-right", new { cron = "0 2 * * *", runbook, parameters = new { days = 3 }, paused = true });

        await ProblemAssert.HasFieldErrorAsync(wrong, "parameters.days");
        Assert.True(right.IsSuccessStatusCode, await right.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""{"cron":"0 2 * * *","overlap":"sometimes","operation":{"kind":"agent.ping","target":{"all":true}}}""", "overlap")]
    [InlineData("""{"cron":"0 2 * * *","jitterSeconds":"soon","operation":{"kind":"agent.ping","target":{"all":true}}}""", "jitterSeconds")]
    [InlineData("""{"cron":"0 2 * * *","locks":["pg:demo","pg:demo"],"operation":{"kind":"agent.ping","target":{"all":true}}}""", "locks")]
    [InlineData("[1]", "body")]
    public async Task Put_WhenAFieldHasTheWrongValue_Returns400NamingIt(string body, string field)
    {
        await ProblemAssert.HasFieldErrorAsync(await PutAsync("bad-field", body), field);
    }

    [Fact]
    public async Task Put_WhenTheNameIsInvalid_Returns400NamingName()
    {
        await ProblemAssert.HasFieldErrorAsync(await PutAsync("-bad%20name", new { cron = "0 2 * * *", operation = Ping }), "name");
    }

    [Fact]
    public async Task Put_WhenTheSameContentIsSavedTwice_Returns201Then200WithOneVersionAndOneAuditRecord()
    {
        var body = new { cron = "0 2 * * *", timeZone = "Europe/Paris", description = "seed 004 §3.1: backup", paused = true, operation = Ping };
        var created = await PutAsync("twice", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/schedules/twice", created.Headers.Location?.OriginalString);
        var again = await PutAsync("twice", body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var schedule = await ScheduleFactory.JsonAsync(again);
        Assert.Equal(1, schedule.GetProperty("version").GetInt32());
        Assert.Equal(1, await fixture.Host.QueryScalarAsync<int>("SELECT count(*)::int FROM audit_log WHERE resource_type = 'schedule' AND resource_id = 'twice'"));

        var changed = await ScheduleFactory.JsonAsync(await PutAsync("twice", body with { description = "changed" }));
        Assert.Equal(2, changed.GetProperty("version").GetInt32());
        Assert.Equal(
            ["schedule.create", "schedule.update"],
            await fixture.Host.QueryAsync<string>("SELECT action FROM audit_log WHERE resource_type = 'schedule' AND resource_id = 'twice' ORDER BY id"));
    }

    [Fact]
    public async Task Get_ShowsTheNextFiveRunsInUtcAndInTheSchedulesZone()
    {
        await PutAsync("paris-night", new { cron = "0 2 * * *", timeZone = "Europe/Paris", paused = true, operation = Ping });

        var schedule = await ScheduleFactory.JsonAsync(await fixture.Host.Client(Roles.Viewer).GetAsync("/api/v1/schedules/paris-night"));
        var runs = schedule.GetProperty("nextRuns").EnumerateArray().ToList();

        Assert.Equal(5, runs.Count);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        foreach (var run in runs)
        {
            var utc = run.GetProperty("utc").GetDateTimeOffset();
            var local = run.GetProperty("local").GetDateTimeOffset();
            Assert.Equal(TimeSpan.Zero, utc.Offset);
            Assert.Equal(utc, local);
            Assert.Equal(zone.GetUtcOffset(utc), local.Offset);
            Assert.Equal(new TimeSpan(2, 0, 0), local.TimeOfDay);
        }

        Assert.True(schedule.GetProperty("paused").GetBoolean());
        Assert.Equal(JsonValueKind.Null, schedule.GetProperty("lastSlot").ValueKind);
    }

    [Fact]
    public async Task List_ReturnsSchedulesInNameOrderAcrossPages()
    {
        foreach (var name in new[] { "page-c", "page-a", "page-b" })
        {
            await PutAsync(name, new { cron = "0 3 * * 0", paused = true, operation = Ping });
        }

        var viewer = fixture.Host.Client(Roles.Viewer);
        var names = new List<string>();
        string? cursor = null;
        do
        {
            var page = await ScheduleFactory.JsonAsync(await viewer.GetAsync($"/api/v1/schedules?limit=2{(cursor is null ? string.Empty : $"&cursor={cursor}")}"));
            names.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        var ours = names.Where(n => n.StartsWith("page-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["page-a", "page-b", "page-c"], ours);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task Roles_ViewersCannotSaveOperatorsSaveDestructiveKindsPendingApprovalAndCannotDelete()
    {
        var viewerPut = await PutAsync("roles", new { cron = "0 2 * * *", operation = Ping }, fixture.Host.Client(Roles.Viewer));
        Assert.Equal(HttpStatusCode.Forbidden, viewerPut.StatusCode);

        // Issue 12: an operator may save destructive work; it waits for an admin's approval of its content.
        await fixture.Host.SeedAgentAsync(new Dictionary<string, string> { ["pool"] = "purge-roles" }, ["postgres.purge"]);
        var purge = new { cron = "0 5 * * *", operation = new { kind = "postgres.purge", parameters = new { database = "demo", rule = "demo.sessions" }, target = new { labels = new { pool = "purge-roles" } } } };
        var saved = await PutAsync("purge", purge);
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        Assert.Equal("pending", (await ScheduleFactory.JsonAsync(saved)).GetProperty("approval").GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.Created, (await PutAsync("roles", new { cron = "0 2 * * *", operation = Ping })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _operator.DeleteAsync("/api/v1/schedules/roles")).StatusCode);
        var admin = fixture.Host.Client(Roles.Admin);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/v1/schedules/roles")).StatusCode);
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/api/v1/schedules/roles"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await admin.DeleteAsync("/api/v1/schedules/roles"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Created, (await PutAsync("roles", new { cron = "0 2 * * *", operation = Ping })).StatusCode);
    }

    [Fact]
    public async Task Swagger_DocumentsEveryScheduleRoute()
    {
        var document = await fixture.Host.CreateClient().GetStringAsync("/swagger/v1/swagger.json");
        foreach (var path in new[] { "/api/v1/schedules", "/api/v1/schedules/{name}", "/api/v1/schedules/{name}/pause", "/api/v1/schedules/{name}/resume", "/api/v1/schedules/{name}/trigger", "/api/v1/schedules/{name}/slots" })
        {
            Assert.Contains($"\"{path}\"", document, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Routes_WhenTheScheduleDoesNotExist_Return404ProblemDetails()
    {
        await ProblemAssert.IsProblemAsync(await _operator.GetAsync("/api/v1/schedules/nope"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _operator.GetAsync("/api/v1/schedules/nope/slots"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _operator.PostAsync("/api/v1/schedules/nope/pause", null), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _operator.PostAsync("/api/v1/schedules/nope/trigger", null), HttpStatusCode.NotFound);
        await ProblemAssert.HasFieldErrorAsync(await _operator.GetAsync("/api/v1/schedules/nope/slots?status=sideways"), "status");
    }
}
