using System.Text.Json;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Hosting;

/// <summary>The real <c>Ops.Agent</c> process against the fake control plane.</summary>
public sealed class AgentProcessTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "ops-agent-tests", Guid.NewGuid().ToString("N"));
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        controlPlane = await FakeControlPlane.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await controlPlane.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Process_FirstStartEnrollsAndSecondStartReusesTheIdentity_AndSigtermExitsZero()
    {
        var config = WriteConfig(enrollmentToken: FakeControlPlane.EnrollmentToken);

        await using (var first = AgentProcess.Start(config))
        {
            await Eventually.TrueAsync(() => controlPlane.OutstandingPulls > 0, "the first agent to pull");
            first.SendSigterm();
            Assert.Equal(0, await first.WaitForExitAsync());
        }

        var identityPath = Path.Combine(directory, "state", "identity.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(identityPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(directory, "state")));
        using (var identity = JsonDocument.Parse(File.ReadAllText(identityPath)))
        {
            Assert.Equal("agent-1", identity.RootElement.GetProperty("agentId").GetString());
            Assert.Equal("agent-token-1", identity.RootElement.GetProperty("agentToken").GetString());
            Assert.Equal(controlPlane.Address.ToString().TrimEnd('/'), identity.RootElement.GetProperty("controlPlaneUrl").GetString()!.TrimEnd('/'));
        }

        var pullsBefore = controlPlane.CallsTo("Pull").Count;
        await using (var second = AgentProcess.Start(config))
        {
            await Eventually.TrueAsync(() => controlPlane.CallsTo("Pull").Count > pullsBefore, "the second agent to pull");
            second.SendSigterm();
            Assert.Equal(0, await second.WaitForExitAsync());
        }

        Assert.Single(controlPlane.Requests<EnrollRequest>());
        Assert.All(controlPlane.Calls.Where(c => c.Method != "Enroll"), c => Assert.Equal("Bearer agent-token-1", c.Authorization));
    }

    [Fact]
    public async Task Process_WhenTheControlPlaneAnswersUnauthenticated_ExitsNonZeroWithoutSpinning()
    {
        controlPlane.Revoked = true;
        await using var agent = AgentProcess.Start(WriteConfig(enrollmentToken: FakeControlPlane.EnrollmentToken));

        var exitCode = await agent.WaitForExitAsync();

        Assert.Equal(3, exitCode);
        Assert.Contains("UNAUTHENTICATED", agent.Output, StringComparison.Ordinal);
        Assert.True(controlPlane.CallsTo("Pull").Count <= 2, "the agent must not retry an UNAUTHENTICATED Pull");
        Assert.True(File.Exists(Path.Combine(directory, "state", "identity.json")), "the identity must be kept");
    }

    [Fact]
    public async Task Process_WithoutIdentityOrEnrollmentToken_ExitsWithCode2()
    {
        await using var agent = AgentProcess.Start(WriteConfig(enrollmentToken: null));

        Assert.Equal(2, await agent.WaitForExitAsync());
        Assert.Contains("no enrollment token", agent.Output, StringComparison.Ordinal);
        Assert.Empty(controlPlane.Calls);
    }

    [Fact]
    public async Task Process_WithInvalidConfiguration_ExitsWithCode2AndNamesEveryBadKey()
    {
        var config = WriteConfig(enrollmentToken: "x", extra: """, "EnabledKinds": ["agent.ping", "no.such.kind"], "MaxConcurrentJobs": 0""");
        await using var agent = AgentProcess.Start(config);

        Assert.Equal(2, await agent.WaitForExitAsync());
        Assert.Contains("unknown operation kind 'no.such.kind'", agent.Output, StringComparison.Ordinal);
        Assert.Contains("Agent:MaxConcurrentJobs", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_WhenTheConfigFileIsMissing_ExitsWithCode2()
    {
        await using var agent = AgentProcess.Start(Path.Combine(directory, "missing.json"));

        Assert.Equal(2, await agent.WaitForExitAsync());
        Assert.Contains("does not exist", agent.Output, StringComparison.Ordinal);
    }

    private string WriteConfig(string? enrollmentToken, string extra = "")
    {
        var token = enrollmentToken is null ? string.Empty : $"\"EnrollmentToken\": \"{enrollmentToken}\",";
        var json = $$"""
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "Agent": {
                {{token}}
                "ControlPlaneUrl": "{{controlPlane.Address}}",
                "StateDirectory": "{{Path.Combine(directory, "state")}}",
                "PullWaitMs": 2000
                {{extra}}
              }
            }
            """;
        var path = Path.Combine(directory, "agent.json");
        File.WriteAllText(path, json);
        return path;
    }
}
