using System.Text.Json;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// How a schedule whose action is a <c>runbook</c> validates and starts a runbook run (DESIGN.md
/// §12–13). The runbook engine provides the real implementation; until it is registered,
/// <see cref="UnavailableRunbookStarter"/> refuses runbook schedules with a clear 400.
/// </summary>
internal interface IScheduleRunbookStarter
{
    /// <summary>
    /// Checks on save that <paramref name="runbook"/> exists and that <paramref name="parameters"/>
    /// (a JSON object or <c>null</c>) pass its parameter schema. Returns errors keyed by field path
    /// (<c>runbook</c>, <c>parameters.version</c>), empty when valid.
    /// </summary>
    Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string runbook, JsonElement? parameters, CancellationToken cancellationToken);

    /// <summary>
    /// What a run of the latest version of <paramref name="runbook"/> with <paramref name="parameters"/>
    /// would be, and whether it needs an approval: the schedule's approval covers exactly this
    /// (docs/schedules.md "Approval"), computed on save and again at each slot.
    /// </summary>
    Task<ScheduleRunbookPlan> PlanAsync(string runbook, JsonElement? parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Starts one run of <paramref name="runbook"/> for a slot: of <paramref name="version"/>, or of
    /// the latest version when <c>null</c>. <paramref name="idempotencyKey"/> is unique per (schedule,
    /// slot): called again with the same key (after a crash of the replica that started it), it must
    /// return the run it already started, never start a second one. <paramref name="requestedBy"/> is
    /// <c>schedule:&lt;name&gt;</c>. <paramref name="coveredBy"/>: the schedule's approved approval
    /// that covers this run, which then starts without an approval of its own.
    /// </summary>
    Task<ScheduleRunbookStart> StartAsync(
        string runbook,
        JsonElement? parameters,
        string requestedBy,
        string idempotencyKey,
        DateTimeOffset slotAt,
        CancellationToken cancellationToken,
        int? version = null,
        Guid? coveredBy = null);

    /// <summary>Requests cancellation of run <paramref name="runId"/> (overlap <c>cancel_other</c>); a finished run is left as it is.</summary>
    Task CancelAsync(Guid runId, string requestedBy, CancellationToken cancellationToken);
}
