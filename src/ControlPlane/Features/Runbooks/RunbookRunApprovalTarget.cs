using Dapper;
using Ops.ControlPlane.Features.Approvals;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// The approval target of runbook runs (DESIGN.md §14): a run of a runbook that declares
/// <c>approval</c> or has a destructive step is created <c>pending_approval</c>; when its last
/// needed approval is in it starts exactly as requested (its version and resolved parameters were
/// hashed), a rejection or an expiry ends it <c>rejected</c> / <c>expired</c> without running a step.
/// </summary>
internal sealed class RunbookRunApprovalTarget(IServiceProvider services, RunbookWakeups wakeups) : IApprovalTarget
{
    /// <summary>The resource type of runbook runs in <c>approvals.resource_type</c>.</summary>
    public const string Type = "runbook_run";

    public string ResourceType => Type;

    public async Task ReleaseAsync(ApprovalTransition transition, CancellationToken cancellationToken)
    {
        var runId = Guid.Parse(transition.Approval.ResourceId);
        // Resolved here, not injected: the engine depends (through operations) on the approval store that holds this target.
        await services.GetRequiredService<RunbookEngine>().StartRunAsync(transition.Connection, transition.Transaction, runId, cancellationToken);
        transition.AfterCommit(() => wakeups.Touch(runId));
    }

    public Task RejectAsync(ApprovalTransition transition, CancellationToken cancellationToken) =>
        EndAsync(transition, "rejected", $"not run: approval {transition.Approval.Id} was rejected by {transition.Actor}", cancellationToken);

    public Task ExpireAsync(ApprovalTransition transition, CancellationToken cancellationToken) =>
        EndAsync(transition, "expired", $"not run: approval {transition.Approval.Id} expired at {transition.Approval.ExpiresAt:O}", cancellationToken);

    private static Task EndAsync(ApprovalTransition transition, string status, string error, CancellationToken cancellationToken) =>
        transition.Connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE runbook_runs SET status = @status, error = @error, finished_at = @now, updated_at = @now
             WHERE id = @id AND status = 'pending_approval'
            """,
            new { id = Guid.Parse(transition.Approval.ResourceId), status, error, now = transition.Now },
            transition.Transaction,
            cancellationToken: cancellationToken));
}
