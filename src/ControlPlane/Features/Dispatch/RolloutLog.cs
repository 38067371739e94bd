using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>Logs of the rollout releaser.</summary>
internal static partial class RolloutLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Released due rollout batches of {Operations} operation(s); ended {Waits} expired lock wait(s)")]
    public static partial void Released(ILogger logger, int operations, int waits);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Rollout release pass failed; retrying at the next wake-up")]
    public static partial void Failed(ILogger logger, Exception exception);
}
