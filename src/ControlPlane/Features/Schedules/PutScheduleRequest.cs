using System.Text.Json;
using Ops.ControlPlane.Features.Operations;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Body of <c>PUT /api/v1/schedules/{name}</c> (DESIGN.md §13): the whole desired schedule.
/// </summary>
/// <param name="Cron">5 fields (<c>minute hour day-of-month month day-of-week</c>) or 6 with seconds first, as Cronos reads them: <c>0 2 * * *</c> is 02:00 every day.</param>
/// <param name="TimeZone">IANA time zone the expression is read in (<c>Europe/Paris</c>); default <c>UTC</c>.</param>
/// <param name="Runbook">A runbook to run at each slot, with <paramref name="Parameters"/>; exclusive with <paramref name="Operation"/>.</param>
/// <param name="Parameters">The runbook's parameters (a JSON object).</param>
/// <param name="Operation">An operation to submit at each slot, as for <c>POST /api/v1/operations</c>: <c>{kind, parameters, target, timeoutSeconds?, priority?}</c>.</param>
/// <param name="Overlap">When the previous slot's run is unfinished: <c>skip</c> (default), <c>buffer_one</c>, <c>allow</c>, <c>cancel_other</c>.</param>
/// <param name="CatchupWindowSeconds">After an outage, the latest missed slot at most this old starts, late; older ones are recorded <c>missed</c>. Default 3600, 0–604,800.</param>
/// <param name="JitterSeconds">Each slot starts after a stable random delay of 0 to this many seconds (0–3600, default 0).</param>
/// <param name="Paused">A paused schedule starts nothing until resumed; omitted: unchanged (new schedules: not paused).</param>
/// <param name="Description">Free text, at most 1000 characters.</param>
/// <param name="Locks">Lock keys its runs hold (DESIGN.md §11), e.g. <c>["pg:demo"]</c>.</param>
public sealed record PutScheduleRequest(
    string? Cron,
    string? TimeZone = null,
    string? Runbook = null,
    JsonElement? Parameters = null,
    CreateOperationRequest? Operation = null,
    ScheduleOverlap? Overlap = null,
    int? CatchupWindowSeconds = null,
    int? JitterSeconds = null,
    bool? Paused = null,
    string? Description = null,
    IReadOnlyList<string>? Locks = null);
