using System.Net;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Locks;

public sealed class LocksTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private async Task<JsonElement> SubmitAsync(object body)
    {
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private async Task<JsonElement> GetAsync(Guid id) =>
        await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/operations/{id}")).ReadJsonAsync();

    private async Task<JsonElement?> LockAsync(string name)
    {
        var locks = await (await factory.CreateClient(Roles.Viewer).GetAsync("/api/v1/locks")).ReadJsonAsync();
        return locks.GetProperty("items").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(l => l!.Value.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task SecondOperation_WithAHeldLock_WaitsFifoShowingTheHolderAndStartsWhenItEnds()
    {
        var agent = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, "lock-host");
        var key = $"pg:{Guid.NewGuid():N}";
        var first = await SubmitAsync(new { kind = "agent.ping", target = new { agentIds = new[] { agent } }, locks = new[] { key } });
        var second = await SubmitAsync(new { kind = "agent.ping", target = new { agentIds = new[] { agent } }, locks = new[] { key } });
        var third = await SubmitAsync(new { kind = "agent.ping", target = new { agentIds = new[] { agent } }, locks = new[] { key } });
        var firstId = first.GetProperty("id").GetGuid();
        var secondId = second.GetProperty("id").GetGuid();
        var thirdId = third.GetProperty("id").GetGuid();

        Assert.Equal("queued", first.GetProperty("status").GetString());
        Assert.Equal("waiting", second.GetProperty("status").GetString());
        var waitingOn = second.GetProperty("waitingOn");
        Assert.Equal(key, waitingOn.GetProperty("lock").GetString());
        Assert.Equal(firstId.ToString(), waitingOn.GetProperty("heldBy").GetString());
        Assert.Equal("operation", waitingOn.GetProperty("heldByType").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("jobs")[0].GetProperty("deadlineAt").ValueKind);
        var listed = (await LockAsync(key))!.Value;
        Assert.Equal(firstId, listed.GetProperty("holder").GetProperty("id").GetGuid());
        Assert.Equal([secondId, thirdId], listed.GetProperty("queue").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));

        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, first.GetProperty("jobs")[0].GetProperty("id").GetGuid(), "succeeded"));

        var started = await GetAsync(secondId);
        Assert.Equal("queued", started.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, started.GetProperty("jobs")[0].GetProperty("deadlineAt").ValueKind);
        Assert.Equal("waiting", (await GetAsync(thirdId)).GetProperty("status").GetString());
        listed = (await LockAsync(key))!.Value;
        Assert.Equal(secondId, listed.GetProperty("holder").GetProperty("id").GetGuid());
        Assert.Equal([thirdId], listed.GetProperty("queue").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));

        await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/operations/{secondId}/cancel", null);
        Assert.Equal("queued", (await GetAsync(thirdId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task DatabaseKinds_OnTheSameAgentAndDatabase_TakeTheImplicitPostgresLock()
    {
        var agent = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, "db-host");
        var other = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, "db-host-2");
        var vacuum = await SubmitAsync(new { kind = "postgres.vacuum", parameters = new { database = "demo" }, target = new { agentIds = new[] { agent } } });
        var backup = await SubmitAsync(new { kind = "postgres.backup", parameters = new { database = "demo" }, target = new { agentIds = new[] { agent } } });
        var elsewhere = await SubmitAsync(new { kind = "postgres.backup", parameters = new { database = "demo" }, target = new { agentIds = new[] { other } } });

        Assert.Equal([$"postgres:{agent}:demo"], vacuum.GetProperty("locks").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("queued", vacuum.GetProperty("status").GetString());
        Assert.Equal("waiting", backup.GetProperty("status").GetString());
        Assert.Equal($"postgres:{agent}:demo", backup.GetProperty("waitingOn").GetProperty("lock").GetString());
        Assert.Equal("queued", elsewhere.GetProperty("status").GetString());

        Assert.True(await SimulatedFleet.FinishAsync(factory.ConnectionString, vacuum.GetProperty("jobs")[0].GetProperty("id").GetGuid(), "failed"));
        Assert.Equal("queued", (await GetAsync(backup.GetProperty("id").GetGuid())).GetProperty("status").GetString());
    }

    [Fact]
    public async Task LockWait_PastLockTimeoutSeconds_EndsSkippedAndLeavesTheQueue()
    {
        var agent = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, "timeout-host");
        var key = $"deploy:{Guid.NewGuid():N}";
        var holder = await SubmitAsync(new { kind = "agent.ping", target = new { agentIds = new[] { agent } }, locks = new[] { key } });
        var waiter = await SubmitAsync(new { kind = "agent.ping", target = new { agentIds = new[] { agent } }, locks = new[] { key }, lockTimeoutSeconds = 1 });
        var waiterId = waiter.GetProperty("id").GetGuid();

        await SimulatedFleet.EventuallyAsync(async () => (await GetAsync(waiterId)).GetProperty("status").GetString() == "failed", "the lock wait to time out");

        var job = (await GetAsync(waiterId)).GetProperty("jobs")[0];
        Assert.Equal("skipped", job.GetProperty("status").GetString());
        Assert.Contains($"lock {key}", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains(holder.GetProperty("id").GetString()!, job.GetProperty("error").GetString(), StringComparison.Ordinal);
        var listed = (await LockAsync(key))!.Value;
        Assert.Empty(listed.GetProperty("queue").EnumerateArray());
    }

    [Theory]
    [InlineData("[\"has space\"]", "locks[0]")]
    [InlineData("[\"\"]", "locks[0]")]
    public async Task Create_WithABadLockKey_Is400NamingIt(string locks, string field)
    {
        var agent = await SimulatedFleet.SeedAgentAsync(factory.ConnectionString, "bad-lock-host");
        var response = await factory.CreateClient(Roles.Operator).PostRawAsync(
            "/api/v1/operations", $"{{\"kind\":\"agent.ping\",\"target\":{{\"agentIds\":[\"{agent}\"]}},\"locks\":{locks}}}");
        await ProblemAssert.HasFieldErrorAsync(response, field);
    }
}
