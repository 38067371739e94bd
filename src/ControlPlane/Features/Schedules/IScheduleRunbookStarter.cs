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
    /// Starts one run of the latest version of <paramref name="runbook"/> for a slot.
    /// <paramref name="idempotencyKey"/> is unique per (schedule, slot): called again with the same
    /// key (after a crash of the replica that started it), it must return the run it already started,
    /// never start a second one. <paramref name="requestedBy"/> is <c>schedule:&lt;name&gt;</c>.
    /// </summary>
    Task<ScheduleRunbookStart> StartAsync(
        string runbook, JsonElement? parameters, string requestedBy, string idempotencyKey, DateTimeOffset slotAt, CancellationToken cancellationToken);

    /// <summary>Requests cancellation of run <paramref name="runId"/> (overlap <c>cancel_other</c>); a finished run is left as it is.</summary>
    Task CancelAsync(Guid runId, string requestedBy, CancellationToken cancellationToken);
}
