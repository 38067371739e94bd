using System.Text.Json;
using Ops.Contracts.Kinds;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// What a slot of a runbook schedule would run now (<see cref="IScheduleRunbookStarter.PlanAsync"/>):
/// the runbook's latest version, its whole document and the parameters resolved against its schema
/// (defaults applied), and whether a run of it needs an approval (DESIGN.md §14: the runbook declares
/// <c>approval</c> or has a destructive step) with its risk and <c>minApprovals</c>. <see cref="Error"/>
/// is set instead when no run could be started (unknown or archived runbook, invalid parameters).
/// </summary>
internal sealed record ScheduleRunbookPlan(
    string? Error,
    int Version,
    JsonElement Document,
    JsonElement Parameters,
    bool NeedsApproval,
    OperationRisk Risk,
    int? MinApprovals)
{
    /// <summary>A plan that cannot run, with the reason.</summary>
    public static ScheduleRunbookPlan Failed(string error) => new(error, 0, default, default, false, OperationRisk.ReadOnly, null);
}
