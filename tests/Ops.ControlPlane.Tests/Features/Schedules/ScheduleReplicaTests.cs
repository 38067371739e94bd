using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Xunit.Abstractions;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>Two control-plane replicas on one database running one every-second schedule on the real clock (DESIGN.md §13).</summary>
public sealed class ScheduleReplicaTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ScheduleFactory _a = new(null);
    private ScheduleFactory _b = null!;

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = new ScheduleFactory(null) { SharedConnectionString = _a.ConnectionString };
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_b).DisposeAsync();
        await ((IAsyncLifetime)_a).DisposeAsync();
    }

    [Fact]
    public async Task EverySecondSchedule_OnTwoReplicasWithOneStoppedMidway_StartsEverySlotExactlyOnce()
    {
        var agent = await _a.SeedAgentAsync();
        var body = JsonSerializer.Serialize(
            new { cron = "*/1 * * * * *", overlap = "allow", operation = ScheduleFactory.Ping(agent) }, Ops.Contracts.Json.OpsJson.Default);
        await ScheduleFactory.JsonAsync(await _a.Client(Roles.Operator).PutAsync(
            "/api/v1/schedules/every-second", new StringContent(body, System.Text.Encoding.UTF8, "application/json")));

        // Five seconds on both replicas, then B stops in the middle of the run, then five more seconds on A alone.
        await _a.WaitForSlotsAsync("every-second", s => s.Count >= 5, "five slots on two replicas");
        await ((IAsyncLifetime)_b).DisposeAsync();
        var whenStopped = (await _a.SlotsAsync("every-second")).Count;
        await _a.WaitForSlotsAsync("every-second", s => s.Count >= whenStopped + 5, "five more slots on one replica");
        await ScheduleFactory.JsonAsync(await _a.Client(Roles.Operator).PostAsync("/api/v1/schedules/every-second/pause", null));

        var slots = await _a.SlotsAsync("every-second");
        output.WriteLine($"{slots.Count} slots, {whenStopped} before B stopped: {string.Join(", ", slots.Select(s => $"{s.At:HH:mm:ss} {s.Status}"))}");

        // No slot twice, none lost: consecutive seconds from the first to the last, each started with its own operation.
        Assert.All(slots, s => Assert.Equal("started", s.Status));
        Assert.All(slots.Zip(slots.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(1), pair.Second.At - pair.First.At));
        Assert.Equal(slots.Count, slots.Select(s => s.OperationId).Distinct().Count());
        Assert.Equal(slots.Count, await _a.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = 'schedule:every-second'"));
        Assert.Equal(slots.Count, await _a.QueryScalarAsync<int>("SELECT count(*)::int FROM jobs j JOIN operations o ON o.id = j.operation_id WHERE o.created_by = 'schedule:every-second'"));
    }
}
