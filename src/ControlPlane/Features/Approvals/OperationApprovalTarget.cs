using Dapper;
using Npgsql;
using Ops.ControlPlane.Features.Dispatch;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// Approvals of operations (resource type <c>operation</c>, DESIGN.md §14). An operation that needs
/// one was created with every job <c>pending_approval</c> for the agents resolved at request time;
/// <see cref="ReleaseAsync"/> moves exactly those jobs to <c>queued</c> (an agent enrolled later is
/// never added), sets their deadline from the release (a job's deadline does not run while it waits:
/// docs/approvals.md) and wakes their agents: in-process after commit, and on other replicas through
/// <c>NOTIFY ops_jobs</c> from the job trigger. <see cref="RejectAsync"/> and <see cref="ExpireAsync"/>
/// set the operation's status <c>rejected</c> / <c>expired</c> (which the status trigger never
/// overwrites) and end its jobs <c>cancelled</c> with the reason as their error.
/// </summary>
internal sealed class OperationApprovalTarget(AgentWakeups wakeups) : IApprovalTarget
{
    /// <summary>The resource type of operations in <c>approvals.resource_type</c>.</summary>
    public const string Type = "operation";

    public string ResourceType => Type;

    public async Task ReleaseAsync(ApprovalTransition transition, CancellationToken cancellationToken)
    {
        var agents = await ReleaseJobsAsync(transition.Connection, transition.Transaction, OperationId(transition), transition.Now, cancellationToken);
        transition.AfterCommit(() =>
        {
            foreach (var agent in agents)
            {
                wakeups.Notify(agent);
            }
        });
    }

    /// <summary>
    /// Moves the <c>pending_approval</c> jobs of operation <paramref name="id"/> on, inside the caller's
    /// transaction, as a granted approval does: to <c>queued</c> (deadline from <paramref name="now"/>),
    /// or, with a rollout or locks (DESIGN.md §11), to <c>waiting</c> while the operation takes its locks
    /// (FIFO, all or none) and releases its first batch, exactly as an operation that needed no approval.
    /// Used by <see cref="ReleaseAsync"/> and by a schedule slot covered by its schedule's approval
    /// (docs/schedules.md). Returns the agents whose queued jobs the caller wakes after commit (none
    /// in the held case: the lock and batch release wake them through the job trigger).
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> ReleaseJobsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var held = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT rollout_batch_size IS NOT NULL OR cardinality(locks) > 0 FROM operations WHERE id = @id",
            new { id }, transaction, cancellationToken: cancellationToken));
        if (held)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE jobs SET status = 'waiting', deadline_at = NULL WHERE operation_id = @id AND status = 'pending_approval';
                SELECT CASE WHEN lock_try_acquire('operation', o.id, o.locks, @now, @now + make_interval(secs => o.lock_timeout_seconds))
                            THEN operation_start(o.id, @now) END
                  FROM operations o WHERE o.id = @id;
                """,
                new { id, now }, transaction, cancellationToken: cancellationToken));
            return [];
        }

        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            UPDATE jobs j SET status = 'queued', queued_at = @now, deadline_at = @now + make_interval(secs => o.timeout_seconds)
              FROM operations o
             WHERE o.id = j.operation_id AND j.operation_id = @id AND j.status = 'pending_approval'
            RETURNING j.agent_id
            """,
            new { id, now }, transaction, cancellationToken: cancellationToken))).Distinct().ToList();
    }

    public Task RejectAsync(ApprovalTransition transition, CancellationToken cancellationToken) =>
        EndAsync(
            transition,
            "rejected",
            $"not run: approval {transition.Approval.Id} was rejected by {transition.Actor}{(string.IsNullOrEmpty(transition.Comment) ? string.Empty : $" ({transition.Comment})")}",
            cancellationToken);

    public Task ExpireAsync(ApprovalTransition transition, CancellationToken cancellationToken) =>
        EndAsync(
            transition,
            "expired",
            $"not run: approval {transition.Approval.Id} expired at {transition.Approval.ExpiresAt:O} with {transition.Approval.Approvals} of {transition.Approval.MinApprovals} approval(s)",
            cancellationToken);

    private static async Task EndAsync(ApprovalTransition transition, string status, string error, CancellationToken cancellationToken)
    {
        var id = OperationId(transition);
        // The final status first: the job trigger then updates the counters but keeps it.
        await transition.Connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE operations SET status = @status, updated_at = @now WHERE id = @id AND NOT operation_is_terminal(status);
            UPDATE jobs SET status = 'cancelled', finished_at = @now, error = @error WHERE operation_id = @id AND status = 'pending_approval';
            """,
            new { id, status, now = transition.Now, error }, transition.Transaction, cancellationToken: cancellationToken));
    }

    private static Guid OperationId(ApprovalTransition transition) => Guid.Parse(transition.Approval.ResourceId);
}
