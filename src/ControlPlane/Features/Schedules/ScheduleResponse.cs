using System.Text.Json;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// A schedule as <c>GET /api/v1/schedules/{name}</c> shows it (DESIGN.md §13).
/// </summary>
/// <param name="Name">Its name, unique among schedules.</param>
/// <param name="Description">Free text.</param>
/// <param name="Cron">The expression, as saved.</param>
/// <param name="TimeZone">The IANA zone it is read in.</param>
/// <param name="Operation">The operation each slot submits, or <c>null</c>.</param>
/// <param name="Runbook">The runbook each slot runs, or <c>null</c>.</param>
/// <param name="Parameters">The runbook's parameters.</param>
/// <param name="Overlap">The overlap policy.</param>
/// <param name="CatchupWindowSeconds">The catch-up window after an outage, in seconds.</param>
/// <param name="JitterSeconds">The largest start delay of a slot, in seconds.</param>
/// <param name="Paused">True while paused.</param>
/// <param name="Locks">Lock keys its runs hold.</param>
/// <param name="Version">1, then +1 on every change of content (not of <c>paused</c>).</param>
/// <param name="NextRuns">The next 5 slots, UTC and local (shown while paused too: what would run).</param>
/// <param name="LastSlot">The most recently recorded slot, or <c>null</c>.</param>
/// <param name="BufferedSlotAt">Under <c>buffer_one</c>: the slot waiting for the previous run to end.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="UpdatedBy">Who changed it last.</param>
/// <param name="UpdatedAt">When.</param>
/// <param name="Approval">When its action needs an approval (a destructive kind, a runbook that needs one): the approval of its current content; slots run only while it is <c>approved</c>. <c>null</c> otherwise.</param>
public sealed record ScheduleResponse(
    string Name,
    string? Description,
    string Cron,
    string TimeZone,
    JsonElement? Operation,
    string? Runbook,
    JsonElement? Parameters,
    ScheduleOverlap Overlap,
    int CatchupWindowSeconds,
    int JitterSeconds,
    bool Paused,
    IReadOnlyList<string> Locks,
    int Version,
    IReadOnlyList<ScheduleNextRun> NextRuns,
    ScheduleSlotResponse? LastSlot,
    DateTimeOffset? BufferedSlotAt,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string UpdatedBy,
    DateTimeOffset UpdatedAt,
    ScheduleApprovalSummary? Approval = null);
