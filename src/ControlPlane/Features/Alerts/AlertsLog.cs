using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Alerts;

internal static partial class AlertsLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Alert {Rule} firing on {Subject} {Mount} (value {Value})")]
    public static partial void Firing(ILogger logger, string rule, double value, string subject, string mount);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Alert {Rule} resolved on {Subject} {Mount}: {Reason}")]
    public static partial void Resolved(ILogger logger, string rule, string subject, string mount, string reason);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Error, Message = "Alert evaluation failed; retrying")]
    public static partial void EvaluationFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Agent {AgentId} ({Hostname}) offline: last seen {LastSeenAt:o}")]
    public static partial void AgentOffline(ILogger logger, Guid agentId, string hostname, DateTimeOffset lastSeenAt);
}
