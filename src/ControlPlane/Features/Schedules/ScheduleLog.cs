using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Schedules;

internal static partial class ScheduleLog
{
    [LoggerMessage(1101, LogLevel.Information, "Schedule {Schedule}: slot {SlotAt:O} started {Kind} {ResourceId} (late: {Late}, manual: {Manual})")]
    public static partial void SlotStarted(ILogger logger, string schedule, DateTimeOffset slotAt, string kind, Guid resourceId, bool late, bool manual);

    [LoggerMessage(1102, LogLevel.Information, "Schedule {Schedule}: slot {SlotAt:O} skipped: {Reason}")]
    public static partial void SlotSkipped(ILogger logger, string schedule, DateTimeOffset slotAt, string reason);

    [LoggerMessage(1103, LogLevel.Warning, "Schedule {Schedule}: {Count} slot(s) missed while the control plane was down, the oldest at {OldestAt:O}")]
    public static partial void SlotsMissed(ILogger logger, string schedule, int count, DateTimeOffset oldestAt);

    [LoggerMessage(1104, LogLevel.Warning, "Schedule {Schedule}: slot {SlotAt:O} could not start: {Error}")]
    public static partial void SlotFailedToStart(ILogger logger, string schedule, DateTimeOffset slotAt, string error);

    [LoggerMessage(1105, LogLevel.Information, "Schedule {Schedule}: slot {SlotAt:O} waits for the previous run to end (buffer_one)")]
    public static partial void SlotBuffered(ILogger logger, string schedule, DateTimeOffset slotAt);

    [LoggerMessage(1106, LogLevel.Warning, "Scheduler pass failed; retrying in {DelayMs} ms")]
    public static partial void PassFailed(ILogger logger, Exception exception, double delayMs);

    [LoggerMessage(1107, LogLevel.Warning, "Schedule {Schedule}: {Count} slot(s) older than {Horizon} were missed and not recorded one by one")]
    public static partial void MissedNotRecorded(ILogger logger, string schedule, long count, TimeSpan horizon);

    [LoggerMessage(1108, LogLevel.Error, "Schedule {Schedule}: the stored expression '{Cron}' in zone '{TimeZone}' cannot be evaluated; the schedule is stopped")]
    public static partial void Unreadable(ILogger logger, string schedule, string cron, string timeZone);

    [LoggerMessage(1109, LogLevel.Information, "Schedule {Schedule}: {ResourceId} started without an approval of its own, covered by the schedule's approval {ApprovalId}")]
    public static partial void SlotCovered(ILogger logger, string schedule, Guid resourceId, Guid approvalId);
}
