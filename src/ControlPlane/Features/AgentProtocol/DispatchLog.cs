using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.AgentProtocol;

internal static partial class DispatchLog
{
    [LoggerMessage(102, LogLevel.Information, "Reaper: {Requeued} expired leases requeued, {Lost} running jobs lost, {Retried} retried, {TimedOut} timed out")]
    public static partial void Reaped(ILogger logger, int requeued, int lost, int retried, int timedOut);

    [LoggerMessage(103, LogLevel.Warning, "Lease reaper pass failed")]
    public static partial void ReaperFailed(ILogger logger, Exception exception);

    [LoggerMessage(104, LogLevel.Warning, "No replica reaped leases for {GapSeconds:F1} s (control plane or database down): {Jobs} leases shifted by that gap")]
    public static partial void LeasesShifted(ILogger logger, double gapSeconds, int jobs);

    [LoggerMessage(110, LogLevel.Warning, "Agent RPC {Method} answered UNAVAILABLE: the database is unavailable")]
    public static partial void DatabaseUnavailable(ILogger logger, string method, Exception exception);

    [LoggerMessage(111, LogLevel.Warning, "Could not notify the other replicas of queued work for {Agents} agents; their Pulls find it at their wait_ms")]
    public static partial void WakeupNotifyFailed(ILogger logger, Exception exception, int agents);
}
