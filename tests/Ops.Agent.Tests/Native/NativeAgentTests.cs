using System.Net.Http.Json;
using System.Text.Json;
using Ops.Agent.Tests.TestSupport;

namespace Ops.Agent.Tests.Native;

/// <summary>
/// The Native AOT agent (<c>./ops publish-agent</c> → dist/ops-agent-linux-x64) against the real
/// control plane on its embedded PostgreSQL: what the JIT agent's tests check in-process, end to
/// end through the published binary (trimming and source generation included).
/// </summary>
public sealed class NativeAgentTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "ops-agent-tests", Guid.NewGuid().ToString("N"));
    private RealControlPlane? controlPlane;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (controlPlane is not null)
        {
            await controlPlane.DisposeAsync();
        }

        Directory.Delete(directory, recursive: true);
    }

    [NativeAgentFact]
    public async Task NativeBinary_EnrollsRunsAgentPingAndHostDiskAgainstTheRealControlPlane_AndSigtermExitsZero()
    {
        Assert.True(File.Exists(NativeAgentPaths.Binary), $"{NativeAgentPaths.Binary} is missing: ./ops test publishes it (./ops publish-agent).");
        controlPlane = await RealControlPlane.StartAsync(NativeAgentPaths.ControlPlaneDll);
        var state = Path.Combine(directory, "state");
        var config = Path.Combine(directory, "agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Agent = new
            {
                ControlPlaneUrl = controlPlane.GrpcAddress,
                StateDirectory = state,
                Hostname = "native-agent-test",
                Labels = new Dictionary<string, string> { ["test"] = "native" },
                EnabledKinds = new[] { "agent.ping", "host.disk" },
                PullWaitMs = 5000,
            },
            Logging = new { LogLevel = new { Default = "Warning", Ops = "Information" } },
        }));
        var enrollment = await controlPlane.CreateEnrollmentTokenAsync();

        await using var agent = AgentProcess.StartNative(NativeAgentPaths.Binary, config, new Dictionary<string, string> { ["OPS_AGENT_Agent__EnrollmentToken"] = enrollment });
        var identityPath = Path.Combine(state, "identity.json");
        await Eventually.TrueAsync(() => File.Exists(identityPath) || agent.HasExited, "the native agent to enroll");
        Assert.False(agent.HasExited, "the native agent exited:\n" + agent.Output);
        string agentId;
        using (var identity = JsonDocument.Parse(await File.ReadAllTextAsync(identityPath)))
        {
            agentId = identity.RootElement.GetProperty("agentId").GetString()!;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(identityPath));
        await Eventually.TrueAsync(() => agent.Output.Contains("First Pull since start", StringComparison.Ordinal), "the native agent's first Pull");

        var ping = await RunAsync(agentId, new { kind = "agent.ping", target = new { agentIds = new[] { agentId } } });
        Assert.Equal("succeeded", ping.GetProperty("status").GetString());
        var pong = ping.GetProperty("result");
        Assert.False(string.IsNullOrEmpty(pong.GetProperty("agentVersion").GetString()));
        Assert.True(DateTimeOffset.TryParse(pong.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));

        // host.disk: parameters bound through the source-generated strict context, statvfs(3) through LibraryImport, a nested result.
        var disk = await RunAsync(agentId, new { kind = "host.disk", parameters = new { minFreeBytes = 1 }, target = new { agentIds = new[] { agentId } } });
        Assert.Equal("succeeded", disk.GetProperty("status").GetString());
        Assert.NotEqual(0, disk.GetProperty("result").GetProperty("mounts").GetArrayLength());

        agent.SendSigterm();
        Assert.Equal(0, await agent.WaitForExitAsync());
        Assert.DoesNotContain("fail:", agent.Output, StringComparison.Ordinal);
    }

    /// <summary>POSTs the operation and returns its one job once it has ended.</summary>
    private async Task<JsonElement> RunAsync(string agentId, object operation)
    {
        using var created = await controlPlane!.Api.PostAsJsonAsync("/api/v1/operations", operation);
        Assert.True(created.IsSuccessStatusCode, $"POST /api/v1/operations: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var location = created.Headers.Location!.OriginalString;
        JsonElement? job = null;
        await Eventually.TrueAsync(
            () =>
            {
                using var body = JsonDocument.Parse(controlPlane.Api.GetStringAsync(location).GetAwaiter().GetResult());
                var first = body.RootElement.GetProperty("jobs")[0];
                if (first.GetProperty("status").GetString() is "queued" or "leased" or "running")
                {
                    return false;
                }

                job = first.Clone();
                return true;
            },
            $"the native agent {agentId} to finish the job");
        return job!.Value;
    }
}
