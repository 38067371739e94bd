using Microsoft.Extensions.Logging;

namespace Ops.Agent.Hosting;

/// <summary>Log messages of the agent's host and worker (event ids 1000–1099).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(1000, LogLevel.Critical, "The agent is stopping with exit code {ExitCode}: {Reason}")]
    public static partial void FatalError(ILogger logger, int exitCode, string reason, Exception? exception);

    [LoggerMessage(1001, LogLevel.Information, "Agent {AgentId} ({Hostname}, version {Version}) connected to {ControlPlaneUrl}; enabled kinds: {Kinds}")]
    public static partial void Started(ILogger logger, string agentId, string hostname, string version, string controlPlaneUrl, string kinds);

    [LoggerMessage(1002, LogLevel.Information, "Shutting down: cancelling {Count} running job(s), waiting up to {GraceSeconds} s for them to report")]
    public static partial void Draining(ILogger logger, int count, double graceSeconds);

    [LoggerMessage(1003, LogLevel.Warning, "{Count} job(s) did not finish within the shutdown grace period")]
    public static partial void DrainTimedOut(ILogger logger, int count);

    [LoggerMessage(1004, LogLevel.Critical, "The agent failed unexpectedly")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception);

    [LoggerMessage(1005, LogLevel.Information, "Agent stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(1006, LogLevel.Warning, "Enabled kinds without an executor in this agent build are not reported as capabilities and are refused: {Kinds}")]
    public static partial void UnsupportedKinds(ILogger logger, string kinds);

    [LoggerMessage(1007, LogLevel.Warning, "Re-sending the result spool stopped: {Error}; the remaining completions stay spooled for the next start")]
    public static partial void SpoolResendFailed(ILogger logger, string error);
}
