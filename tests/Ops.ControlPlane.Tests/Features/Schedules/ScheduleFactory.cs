using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Ops.ControlPlane.Features.Schedules;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>
/// The control plane on a <see cref="ManualClock"/> (or the real clock): the scheduler sleeps on
/// it and <see cref="SetTimeAsync"/> moves it and wakes the scheduler, as the time passing would.
/// Tokens are minted on the real clock so they stay valid whatever the test's date.
/// </summary>
public sealed class ScheduleFactory : OpsApiFactory
{
    private readonly ManualClock? _clock;

    public ScheduleFactory(DateTimeOffset? start, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _clock = start is { } s ? new ManualClock(s) : null;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            Settings[key] = value;
        }
    }

    public DateTimeOffset Now => _clock?.Now ?? DateTimeOffset.UtcNow;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (_clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(_clock));
        }
    }

    /// <summary>Moves the manual clock to <paramref name="at"/> and wakes the scheduler.</summary>
    public Task SetTimeAsync(DateTimeOffset at)
    {
        _clock!.Now = at;
        Services.GetRequiredService<ScheduleSignal>().Notify();
        return Task.CompletedTask;
    }

    /// <summary>A client with a real JWT for <paramref name="role"/>, minted on the real clock.</summary>
    public HttpClient Client(string role, string subject = "tester")
    {
        var client = CreateClient();
        var issuer = new TokenIssuer(Services.GetRequiredService<SymmetricSecurityKey>(), Services.GetRequiredService<AuthOptions>(), TimeProvider.System);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Mint(subject, role, TimeSpan.FromHours(1)));
        return client;
    }

    /// <summary>The slots of <paramref name="schedule"/> as stored, oldest first.</summary>
    public Task<IReadOnlyList<SlotRecord>> SlotsAsync(string schedule) => QueryAsync<SlotRecord>(
        """
        SELECT sl.slot_at AS SlotAt, sl.status AS Status, sl.operation_id AS OperationId, sl.late AS Late, sl.manual AS Manual, sl.outcome AS Outcome, sl.error AS Error
          FROM schedule_slots sl JOIN schedules s ON s.id = sl.schedule_id
         WHERE s.name = @schedule AND s.deleted_at IS NULL
         ORDER BY sl.slot_at, sl.id
        """, new { schedule });

    /// <summary>Polls <paramref name="condition"/> until it holds (60 s at most); returns the last slots.</summary>
    public async Task<IReadOnlyList<SlotRecord>> WaitForSlotsAsync(string schedule, Func<IReadOnlyList<SlotRecord>, bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        IReadOnlyList<SlotRecord> slots = [];
        while (DateTime.UtcNow < until)
        {
            slots = await SlotsAsync(schedule);
            if (condition(slots))
            {
                return slots;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out waiting for {what}; slots: {string.Join(", ", slots.Select(s => $"{s.SlotAt:O} {s.Status}"))}");
    }

    /// <summary>Polls <c>GET /api/v1/schedules/{name}</c> until <paramref name="condition"/> holds (60 s at most).</summary>
    public async Task<JsonElement> WaitForScheduleAsync(string name, Func<JsonElement, bool> condition, string what)
    {
        var client = Client(Roles.Viewer);
        var until = DateTime.UtcNow.AddSeconds(60);
        var schedule = default(JsonElement);
        while (DateTime.UtcNow < until)
        {
            schedule = await JsonAsync(await client.GetAsync($"/api/v1/schedules/{name}"));
            if (condition(schedule))
            {
                return schedule;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out waiting for {what}; schedule: {schedule}");
    }

    /// <summary>Ends every job of <paramref name="operationId"/> in <paramref name="status"/>, as its agent's Complete would.</summary>
    public async Task FinishOperationAsync(Guid operationId, string status)
    {
        await QueryScalarAsync<int>(
            """
            WITH u AS (UPDATE jobs SET status = @status, finished_at = now() WHERE operation_id = @operationId RETURNING 1)
            SELECT count(*)::int FROM u
            """, new { operationId, status });
    }

    /// <summary>An operation body on agent.ping for <paramref name="agentId"/>, with a day-long timeout so the lease reaper leaves it alone.</summary>
    public static object Ping(Guid agentId) => new { kind = "agent.ping", target = new { agentIds = new[] { agentId } }, timeoutSeconds = 86_400 };

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}

/// <summary>One stored slot.</summary>
public sealed record SlotRecord(DateTime SlotAt, string Status, Guid? OperationId, bool Late, bool Manual, string? Outcome, string? Error)
{
    public DateTimeOffset At => new(DateTime.SpecifyKind(SlotAt, DateTimeKind.Utc));
}
