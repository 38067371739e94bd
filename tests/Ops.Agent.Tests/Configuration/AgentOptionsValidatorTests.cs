using Microsoft.Extensions.DependencyInjection;
using Ops.Agent.Configuration;
using Ops.Agent.Executors;

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

    private static AgentOptionsValidator Validator()
    {
        var services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IOperationExecutor, HostDiskExecutor>()
            .AddSingleton<IOperationExecutor, FakePing>()
            .BuildServiceProvider();
        return new AgentOptionsValidator(services);
    }

    private sealed class FakePing : IOperationExecutor
    {
        public string Kind => "agent.ping";

        public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken) => Task.FromResult(ExecutorResult.Success());
    }
}
