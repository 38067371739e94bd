using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ops.Agent.Connection;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Connection;

/// <summary>Enrollment, the Pull loop, reconnects and UNAUTHENTICATED, with the agent's hosted services in-process.</summary>
public sealed class AgentConnectionTests : IAsyncLifetime
{
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync() => controlPlane = await FakeControlPlane.StartAsync();

    public async Task DisposeAsync() => await controlPlane.DisposeAsync();

    [Fact]
    public async Task Start_WithoutIdentity_EnrollsWithHostFactsAndWritesIdentityWithMode0600()
    {
        await using var agent = AgentHarness.Start(controlPlane);
        await Eventually.TrueAsync(() => controlPlane.OutstandingPulls > 0, "a Pull");

        var enroll = Assert.Single(controlPlane.Requests<EnrollRequest>());
        Assert.Equal(FakeControlPlane.EnrollmentToken, enroll.EnrollmentToken);
        Assert.Equal("test-host", enroll.Hostname);
        Assert.Equal("test", enroll.Labels["env"]);
        Assert.Equal(["agent.ping", "host.disk"], enroll.Capabilities);
        Assert.False(string.IsNullOrEmpty(enroll.AgentVersion));
        Assert.False(string.IsNullOrEmpty(enroll.Facts.Os));
        Assert.False(string.IsNullOrEmpty(enroll.Facts.Kernel));
        Assert.False(string.IsNullOrEmpty(enroll.Facts.Architecture));
        Assert.True(enroll.Facts.CpuCount > 0);
        Assert.True(enroll.Facts.MemoryTotalBytes > 0);
        Assert.True(enroll.Facts.BootTime.ToDateTimeOffset() < DateTimeOffset.UtcNow);

        var identityPath = Path.Combine(agent.StateDirectory, "identity.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(identityPath));
        Assert.Contains("agent-token-1", File.ReadAllText(identityPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithStoredIdentity_DoesNotEnrollAgain()
    {
        string stateDirectory;
        await using (var first = AgentHarness.Start(controlPlane))
        {
            await Eventually.TrueAsync(() => controlPlane.OutstandingPulls > 0, "a Pull");
            stateDirectory = first.StateDirectory;
            Assert.Equal(0, await first.StopAsync());
            var pullsBefore = controlPlane.CallsTo("Pull").Count;

            await using var second = AgentHarness.Start(controlPlane, stateDirectory: stateDirectory);
            await Eventually.TrueAsync(() => controlPlane.CallsTo("Pull").Count > pullsBefore, "a Pull from the second start");
        }

        Assert.Single(controlPlane.Requests<EnrollRequest>());
        Assert.All(controlPlane.Calls.Where(c => c.Method != "Enroll"), c => Assert.Equal("Bearer agent-token-1", c.Authorization));
    }

    [Fact]
    public async Task Run_WhenPullReturnsAPing_CompletesItSucceededAndPullsAgain()
    {
        await using var agent = AgentHarness.Start(controlPlane);
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);

        var complete = await Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), "Complete");

        Assert.Equal(JobOutcome.Succeeded, complete.Outcome);
        Assert.Equal(1, complete.Attempt);
        Assert.Equal(0, complete.ExitCode);
        using var result = JsonDocument.Parse(complete.ResultJson);
        Assert.False(string.IsNullOrEmpty(result.RootElement.GetProperty("agentVersion").GetString()));
        var time = result.RootElement.GetProperty("time").GetString()!;
        Assert.EndsWith("Z", time, StringComparison.Ordinal);
        Assert.InRange(
            DateTimeOffset.Parse(time, CultureInfo.InvariantCulture),
            DateTimeOffset.UtcNow.AddMinutes(-5),
            DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.True(complete.FinishedAt.ToDateTimeOffset() >= complete.StartedAt.ToDateTimeOffset());

        var methods = controlPlane.Calls.Where(c => c.Request is StartRequest s && s.JobId == job.JobId || c.Request is CompleteRequest k && k.JobId == job.JobId).Select(c => c.Method).ToList();
        Assert.Equal(["Start", "Complete"], methods);

        var output = Assert.Single(controlPlane.Requests<AppendOutputRequest>(), o => o.JobId == job.JobId);
        var chunk = Assert.Single(output.Chunks);
        Assert.Equal(1, chunk.Seq);
        Assert.Equal(OutputStream.System, chunk.Stream);
        Assert.Contains("pong", chunk.Data.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(chunk.Data.Length, complete.OutputBytes);

        await Eventually.TrueAsync(() => controlPlane.OutstandingPulls == 1, "a Pull outstanding again after the job");
    }

    [Fact]
    public async Task Pull_WhenServerIsUnavailable_ReconnectsWithGrowingBackoffAndNoTightLoop()
    {
        // Jitter pinned near its maximum, so the delays are ~200, 400, 800, 1600 ms.
        const int Failures = 4;
        controlPlane.FailNextPulls(Failures);
        await using var agent = AgentHarness.Start(controlPlane, services: services => services.AddSingleton(sp =>
            new ReconnectBackoff(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ReconnectBackoff>>()) { Randomizer = () => 0.999 }));
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);

        await Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), "the job after reconnecting");

        var pulls = controlPlane.CallsTo("Pull").Take(Failures + 1).Select(c => c.At).ToList();
        Assert.Equal(Failures + 1, pulls.Count);
        for (var attempt = 0; attempt < Failures; attempt++)
        {
            // Lower bounds only: a noisy machine can only make the gaps longer.
            var gap = pulls[attempt + 1] - pulls[attempt];
            var expected = ReconnectBackoff.Ceiling(attempt) * 0.9;
            Assert.True(gap >= expected, $"retry {attempt + 1} came after {gap.TotalMilliseconds} ms, expected at least {expected.TotalMilliseconds} ms");
        }
    }

    [Fact]
    public async Task Pull_WhenServerStaysUnavailable_BacksOffInsteadOfSpinning()
    {
        controlPlane.FailNextPulls(int.MaxValue);
        await using var agent = AgentHarness.Start(controlPlane);
        await Eventually.TrueAsync(() => controlPlane.CallsTo("Pull").Count >= 3, "some Pull attempts");

        await Task.Delay(TimeSpan.FromSeconds(2));

        // Full jitter averages ~3 s for the first five retries; a tight loop would make thousands.
        Assert.InRange(controlPlane.CallsTo("Pull").Count, 3, 30);
    }

    [Fact]
    public async Task Pull_WhenUnauthenticated_StopsTheAgentWithNonZeroExitAndKeepsTheIdentity()
    {
        controlPlane.Revoked = true;
        var agent = AgentHarness.Start(controlPlane);
        try
        {
            var exitCode = await agent.Run.WaitAsync(Eventually.Generous);

            Assert.Equal(3, exitCode);
            Assert.True(File.Exists(Path.Combine(agent.StateDirectory, "identity.json")));
            Assert.True(controlPlane.CallsTo("Pull").Count <= 2);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task Heartbeat_CarriesHostStatsWithMemoryAndDisks()
    {
        await using var agent = AgentHarness.Start(controlPlane);

        var heartbeat = await Eventually.ValueAsync(() => controlPlane.Requests<HeartbeatRequest>().Skip(1).FirstOrDefault(), "two heartbeats");

        Assert.True(heartbeat.Stats.MemoryTotalBytes > 0);
        Assert.InRange(heartbeat.Stats.MemoryUsedBytes, 1, heartbeat.Stats.MemoryTotalBytes);
        Assert.InRange(heartbeat.Stats.CpuPercent, 0, 100);
        Assert.True(heartbeat.Stats.Load1 >= 0);
        Assert.NotEmpty(heartbeat.Stats.Disks);
        Assert.All(heartbeat.Stats.Disks, d => Assert.InRange(d.FreeBytes, 0, d.TotalBytes));
        Assert.DoesNotContain(heartbeat.Stats.Disks, d => d.Mount.StartsWith("/proc", StringComparison.Ordinal) || d.Mount.StartsWith("/sys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WhenEnrollmentTokenIsRefused_ExitsWithCode2()
    {
        await using var agent = AgentHarness.Start(controlPlane, new Dictionary<string, string?> { ["Agent:EnrollmentToken"] = "wrong" });

        Assert.Equal(2, await agent.Run.WaitAsync(Eventually.Generous));
        Assert.Single(controlPlane.Requests<EnrollRequest>());
    }

    [Fact]
    public async Task Enroll_WhenControlPlaneIsUnavailable_RetriesUntilItAnswers()
    {
        await using var agent = AgentHarness.Start(controlPlane, new Dictionary<string, string?> { ["Agent:ControlPlaneUrl"] = "http://127.0.0.1:1" });

        await Task.Delay(1000);

        Assert.False(agent.Run.IsCompleted, "an unreachable control plane is transient: keep retrying");
        Assert.Equal(0, await agent.StopAsync());
    }
}
