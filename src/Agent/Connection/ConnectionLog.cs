using Microsoft.Extensions.Logging;

namespace Ops.Agent.Connection;

/// <summary>Log messages of the control-plane connection (event ids 1200–1299).</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(1200, LogLevel.Warning, "{Operation} failed ({Error}); retry {Attempt} in {DelayMs:0} ms")]
    public static partial void Retrying(ILogger logger, string operation, int attempt, double delayMs, string error);

    [LoggerMessage(1201, LogLevel.Debug, "Pull: max_jobs={MaxJobs} wait_ms={WaitMs}")]
    public static partial void Pulling(ILogger logger, int maxJobs, int waitMs);

    [LoggerMessage(1202, LogLevel.Debug, "Pull returned {Jobs} job(s) and {Cancels} cancellation(s)")]
    public static partial void Pulled(ILogger logger, int jobs, int cancels);

    [LoggerMessage(1203, LogLevel.Warning, "Heartbeat failed: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, string error);

    [LoggerMessage(1204, LogLevel.Debug, "Heartbeat sent with {Running} running job(s); next in {IntervalMs} ms")]
    public static partial void HeartbeatSent(ILogger logger, int running, double intervalMs);

    [LoggerMessage(1205, LogLevel.Information, "Job {JobId}: cancellation requested by the control plane ({Held} attempt(s) held)")]
    public static partial void CancelRequested(ILogger logger, string jobId, int held);

    [LoggerMessage(1206, LogLevel.Information, "First Pull since start sent to {ControlPlaneUrl}: waiting for jobs")]
    public static partial void FirstPull(ILogger logger, string controlPlaneUrl);
}
