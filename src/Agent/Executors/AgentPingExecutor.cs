using System.Globalization;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Identity;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>agent.ping</c> (Salt <c>test.ping</c>): proves the agent is connected and executing.
/// Result <c>{"agentVersion": "1.0.0+…", "time": "2025-01-01T12:00:00.000Z"}</c> (ISO 8601 UTC).
/// </summary>
internal sealed class AgentPingExecutor(TimeProvider timeProvider, IOptions<AgentOptions> options) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.AgentPing.Name;

    /// <inheritdoc />
    public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        cancellationToken.ThrowIfCancellationRequested();
        var time = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        job.Output.System($"pong from {options.Value.Hostname} (agent {AgentVersion.Current}) at {time}");
        return Task.FromResult(ExecutorResult.Success(new PingResult(AgentVersion.Current, time)));
    }

    internal sealed record PingResult(string AgentVersion, string Time);
}
