using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>Logs of the runbook engine.</summary>
internal static partial class RunbookLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Runbook run {RunId} ({Runbook}) ended {Status}")]
    public static partial void Finished(ILogger logger, Guid runId, string runbook, string status);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Advancing runbook run {RunId} failed; it is retried at the next wake-up")]
    public static partial void AdvanceFailed(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Runbook run {RunId}: step {Step} ({Phase}) {Status}")]
    public static partial void Step(ILogger logger, Guid runId, string step, string phase, string status);
}
