using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Executors;
using Ops.Agent.Policy;

namespace Ops.Agent.Tests.Configuration;

public sealed class AgentOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = Validator().Validate(null, new AgentOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(["agent.ping", "host.disk"], new AgentOptions().EffectiveEnabledKinds);
    }

    [Fact]
    public void Validate_ReportsEveryProblemWithItsKey()
    {
        var options = new AgentOptions
        {
            ControlPlaneUrl = "ftp://x",
            StateDirectory = "relative",
            MaxConcurrentJobs = 0,
            PullWaitMs = 60_000,
            EnabledKinds = ["agent.ping", "postgres.nope"],
        };

        var failures = Validator().Validate(null, options).Failures!.ToList();

        Assert.Equal(5, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Agent:ControlPlaneUrl", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Agent:StateDirectory", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Agent:MaxConcurrentJobs", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Agent:PullWaitMs", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("unknown operation kind 'postgres.nope'", StringComparison.Ordinal));
    }

    [Fact]
    public void Capabilities_AreTheEnabledKindsThatHaveAnExecutor()
    {
        var options = Options.Create(new AgentOptions { EnabledKinds = ["agent.ping", "postgres.backup", "host.disk"] });

        var capabilities = new AgentCapabilities(options, [new HostDiskExecutor(), new FakePing()]);

        Assert.Equal(["agent.ping", "host.disk"], capabilities.Kinds);
        Assert.Equal(["postgres.backup"], capabilities.Unsupported);
        Assert.False(capabilities.IsEnabled("postgres.backup"));
        Assert.True(Validator().Validate(null, options.Value).Succeeded);
    }

    private static AgentOptionsValidator Validator() => new();

    private sealed class FakePing : IOperationExecutor
    {
        public string Kind => "agent.ping";

        public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken) => Task.FromResult(ExecutorResult.Success());
    }
}
