using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// One slot of a schedule (DESIGN.md §13), as listed by <c>GET /api/v1/schedules/{name}/slots</c>.
/// </summary>
/// <param name="Id">The slot's number (ascending in recording order); the list's cursor.</param>
/// <param name="SlotAt">The scheduled time, UTC (a manual trigger: the time of the request).</param>
/// <param name="FiredAt">When it started, was skipped or was found missed.</param>
/// <param name="FinishedAt">When its operation or run ended.</param>
/// <param name="Status"><c>started</c>, <c>succeeded</c>, <c>failed</c>, <c>skipped</c> or <c>missed</c>.</param>
/// <param name="Late">Started after its time: caught up after an outage, or released by <c>buffer_one</c>.</param>
/// <param name="Manual">Started by <c>POST …/trigger</c>.</param>
/// <param name="TriggeredBy">Who triggered it (manual slots).</param>
/// <param name="OperationId">The operation it started.</param>
/// <param name="RunId">The runbook run it started.</param>
/// <param name="Outcome">The final status of its operation or run (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>, <c>timed_out</c>, <c>rolled_back</c> …).</param>
/// <param name="Error">Why it was skipped, missed or could not start.</param>
/// <param name="ApprovalId">The schedule's approval that covered its operation or run (it ran without an approval of its own), or, for a slot skipped for want of an approved approval, the one it waited for.</param>
public sealed record ScheduleSlotResponse(
    long Id,
    DateTimeOffset SlotAt,
    DateTimeOffset? FiredAt,
    DateTimeOffset? FinishedAt,
    ScheduleSlotStatus Status,
    bool Late,
    bool Manual,
    string? TriggeredBy,
    Guid? OperationId,
    Guid? RunId,
    string? Outcome,
    string? Error,
    Guid? ApprovalId = null)
{
    internal static ScheduleSlotResponse From(ScheduleSlotRow row) => new(
        row.Id,
        DbTime.Utc(row.SlotAt),
        DbTime.Utc(row.FiredAt),
        DbTime.Utc(row.FinishedAt),
        DbEnum.Parse<ScheduleSlotStatus>(row.Status),
        row.Late,
        row.Manual,
        row.TriggeredBy,
        row.OperationId,
        row.RunId,
        row.Outcome,
        row.Error,
        row.ApprovalId);
}
