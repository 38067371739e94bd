using Microsoft.Extensions.Logging;

namespace Ops.Agent.Jobs;

/// <summary>Log messages of job execution (event ids 1300–1399).</summary>
internal static partial class JobsLog
{
    [LoggerMessage(1300, LogLevel.Information, "Job {JobId} attempt {Attempt} assigned: {Kind} (operation {OperationId})")]
    public static partial void Assigned(ILogger logger, string jobId, int attempt, string kind, string operationId);

    [LoggerMessage(1301, LogLevel.Debug, "Job {JobId} attempt {Attempt} is already held; duplicate assignment ignored")]
    public static partial void DuplicateAssignment(ILogger logger, string jobId, int attempt);

    [LoggerMessage(1302, LogLevel.Information, "Job {JobId} attempt {Attempt} not started: the control plane answered proceed=false (cancelled meanwhile)")]
    public static partial void StartDeclined(ILogger logger, string jobId, int attempt);

    [LoggerMessage(1303, LogLevel.Information, "Job {JobId} attempt {Attempt} dropped: {Call} answered {Status} (reassigned or removed)")]
    public static partial void JobGone(ILogger logger, string jobId, int attempt, string call, string status);

    [LoggerMessage(1304, LogLevel.Information, "Job {JobId} attempt {Attempt} running {Kind}")]
    public static partial void Running(ILogger logger, string jobId, int attempt, string kind);

    [LoggerMessage(1305, LogLevel.Information, "Job {JobId} attempt {Attempt} completed {Outcome} {Error}")]
    public static partial void Completed(ILogger logger, string jobId, int attempt, string outcome, string error);

    [LoggerMessage(1306, LogLevel.Warning, "Job {JobId} attempt {Attempt}: the control plane refused the completion (stale attempt); dropped")]
    public static partial void CompletionRejected(ILogger logger, string jobId, int attempt);

    [LoggerMessage(1307, LogLevel.Error, "Job {JobId} attempt {Attempt}: the completion could not be delivered: {Error}")]
    public static partial void CompletionFailed(ILogger logger, string jobId, int attempt, string error);

    [LoggerMessage(1308, LogLevel.Information, "Job {JobId} attempt {Attempt}: the control plane requested cancellation")]
    public static partial void CancelRequestedByOutput(ILogger logger, string jobId, int attempt);

    [LoggerMessage(1309, LogLevel.Warning, "Job {JobId} attempt {Attempt}: dropped {Count} output chunk(s): {Error}")]
    public static partial void OutputDropped(ILogger logger, string jobId, int attempt, int count, string error);

    [LoggerMessage(1310, LogLevel.Information, "Job {JobId} attempt {Attempt} dropped: cancelled ({Reason}) before it could start or report")]
    public static partial void DroppedOnCancel(ILogger logger, string jobId, int attempt, string reason);

    [LoggerMessage(1311, LogLevel.Error, "Job {JobId} attempt {Attempt}: the runner failed")]
    public static partial void RunnerFailed(ILogger logger, string jobId, int attempt, Exception exception);

    [LoggerMessage(1312, LogLevel.Warning, "Job {JobId} attempt {Attempt}: the executor threw")]
    public static partial void ExecutorThrew(ILogger logger, string jobId, int attempt, Exception exception);

    [LoggerMessage(1320, LogLevel.Error, "Job {JobId} attempt {Attempt}: cannot write the result spool ({Error}); the completion is sent without it")]
    public static partial void SpoolWriteFailed(ILogger logger, string jobId, int attempt, string error);

    [LoggerMessage(1321, LogLevel.Warning, "Job {JobId} attempt {Attempt}: cannot delete the spooled completion: {Error}")]
    public static partial void SpoolDeleteFailed(ILogger logger, string jobId, int attempt, string error);

    [LoggerMessage(1322, LogLevel.Error, "Spool file {File} is unreadable and was moved aside: {Error}")]
    public static partial void SpoolFileUnreadable(ILogger logger, string file, string error);

    [LoggerMessage(1323, LogLevel.Information, "Re-sending {Count} spooled completion(s) from a previous run")]
    public static partial void ResendingSpool(ILogger logger, int count);

    [LoggerMessage(1324, LogLevel.Information, "Job {JobId} attempt {Attempt}: spooled completion delivered (accepted={Accepted})")]
    public static partial void SpoolDelivered(ILogger logger, string jobId, int attempt, bool accepted);

    [LoggerMessage(1325, LogLevel.Warning, "Job {JobId} attempt {Attempt} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string jobId, int attempt, string reason);
}
