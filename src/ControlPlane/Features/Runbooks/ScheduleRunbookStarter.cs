using System.Text.Json;
using Ops.Contracts.Kinds;
using Ops.Contracts.Runbooks;
using Ops.ControlPlane.Features.Schedules;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// Starts runbook runs for schedules (DESIGN.md §13): a schedule's <c>runbook</c> and
/// <c>parameters</c> are checked on save against the runbook's latest version, and each slot
/// creates one run, idempotent by the slot's key (a replica that died after creating it is
/// answered with the same run), requested by <c>schedule:&lt;name&gt;</c>. A schedule whose runbook
/// needs an approval is approved for the plan of <see cref="PlanAsync"/> (version, document,
/// resolved parameters); its slots then start runs of that version covered by that approval.
/// </summary>
internal sealed class ScheduleRunbookStarter(RunbookStore runbooks, RunbookRunStore runs, RunbookWakeups wakeups) : IScheduleRunbookStarter
{
    public async Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string runbook, JsonElement? parameters, CancellationToken cancellationToken)
    {
        if (await runbooks.GetAsync(runbook, null, includeArchived: false, cancellationToken) is not { } found)
        {
            return new Dictionary<string, string[]>(StringComparer.Ordinal) { ["runbook"] = [$"No runbook '{runbook}' (or it is archived)."] };
        }

        var (_, errors) = RunParameters.Validate(RunbookStore.Document(found), parameters);
        return errors.ToDictionary(e => "parameters" + (e.Key.StartsWith("parameters", StringComparison.Ordinal) ? e.Key["parameters".Length..] : "." + e.Key), e => e.Value, StringComparer.Ordinal);
    }

    public async Task<ScheduleRunbookPlan> PlanAsync(string runbook, JsonElement? parameters, CancellationToken cancellationToken)
    {
        if (await runbooks.GetAsync(runbook, null, includeArchived: false, cancellationToken) is not { } found)
        {
            return ScheduleRunbookPlan.Failed($"No runbook '{runbook}' (or it is archived).");
        }

        var document = RunbookStore.Document(found);
        var (values, errors) = RunParameters.Validate(document, parameters);
        if (errors.Count > 0)
        {
            return ScheduleRunbookPlan.Failed(string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        }

        // As RunbookRunStore decides for a run (DESIGN.md §14): approval declared, or a destructive step.
        var destructive = RunbookStore.HasDestructiveStep(document);
        return new ScheduleRunbookPlan(
            null,
            found.Version,
            found.Document,
            JsonSerializer.SerializeToElement(values),
            found.RequiresApproval,
            destructive ? OperationRisk.Destructive : OperationRisk.Mutating,
            document.Approval?.MinApprovals);
    }

    public async Task<ScheduleRunbookStart> StartAsync(
        string runbook,
        JsonElement? parameters,
        string requestedBy,
        string idempotencyKey,
        DateTimeOffset slotAt,
        CancellationToken cancellationToken,
        int? version = null,
        Guid? coveredBy = null)
    {
        var (creation, run) = await runs.CreateAndStartAsync(
            runbook, new CreateRunRequest(parameters, version), new Caller(requestedBy, null, null, null), idempotencyKey, cancellationToken, coveredBy);
        if (run is null)
        {
            return new ScheduleRunbookStart(null, creation.NotFound
                ? $"No runbook '{runbook}' (or it is archived)."
                : string.Join("; ", creation.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        }

        wakeups.Touch(run.Id);
        return new ScheduleRunbookStart(run.Id, null);
    }

    public async Task CancelAsync(Guid runId, string requestedBy, CancellationToken cancellationToken)
    {
        await runs.CancelAsync(runId, new Caller(requestedBy, null, null, null), cancellationToken);
        wakeups.Touch(runId);
    }
}
