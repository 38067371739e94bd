using Dapper;
using Ops.ControlPlane.Features.Approvals;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// The approval target of schedules (resource type <c>schedule</c>, DESIGN.md §13–14). A schedule's
/// approval does not hold a resource that waits: nothing runs at the decision itself; each slot reads
/// the state of the schedule's approval (<see cref="ScheduleApprovals.EvaluateAsync"/>) and runs only
/// while it is <c>approved</c> for the current content. So a release, a rejection and an expiry
/// change nothing here but wake the schedulers of every replica (<c>NOTIFY ops_schedules</c> at
/// commit), so that the schedule's response and its next slot see the new state at once.
/// </summary>
internal sealed class ScheduleApprovalTarget(ScheduleSignal signal) : IApprovalTarget
{
    public string ResourceType => ScheduleApprovals.Type;

    public Task ReleaseAsync(ApprovalTransition transition, CancellationToken cancellationToken) => WakeAsync(transition, cancellationToken);

    public Task RejectAsync(ApprovalTransition transition, CancellationToken cancellationToken) => WakeAsync(transition, cancellationToken);

    public Task ExpireAsync(ApprovalTransition transition, CancellationToken cancellationToken) => WakeAsync(transition, cancellationToken);

    private async Task WakeAsync(ApprovalTransition transition, CancellationToken cancellationToken)
    {
        await transition.Connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, @id)",
            new { channel = ScheduleSignal.Channel, id = transition.Approval.ResourceId },
            transition.Transaction,
            cancellationToken: cancellationToken));
        transition.AfterCommit(signal.Notify);
    }
}
