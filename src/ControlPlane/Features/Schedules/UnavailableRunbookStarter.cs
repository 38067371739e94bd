using System.Text.Json;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// The <see cref="IScheduleRunbookStarter"/> of a build without the runbook engine: every runbook
/// schedule is refused on save with 400 under <c>runbook</c>, and a slot of one (saved by another
/// build) fails with the same message.
/// </summary>
internal sealed class UnavailableRunbookStarter : IScheduleRunbookStarter
{
    public const string Message = "Runbooks are not available in this control plane; schedule an operation instead.";

    public Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string runbook, JsonElement? parameters, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["runbook"] = [Message] });

    public Task<ScheduleRunbookPlan> PlanAsync(string runbook, JsonElement? parameters, CancellationToken cancellationToken) =>
        Task.FromResult(ScheduleRunbookPlan.Failed(Message));

    public Task<ScheduleRunbookStart> StartAsync(
        string runbook,
        JsonElement? parameters,
        string requestedBy,
        string idempotencyKey,
        DateTimeOffset slotAt,
        CancellationToken cancellationToken,
        int? version = null,
        Guid? coveredBy = null) =>
        Task.FromResult(new ScheduleRunbookStart(null, Message));

    public Task CancelAsync(Guid runId, string requestedBy, CancellationToken cancellationToken) => Task.CompletedTask;
}
