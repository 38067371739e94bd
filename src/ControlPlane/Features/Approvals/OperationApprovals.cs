using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// Asks for the approval of a new operation (DESIGN.md §9, §14): which kinds need one, and the
/// canonical request that is hashed, read back from the rows just written in the caller's
/// transaction so it is exactly what will run.
/// </summary>
internal sealed class OperationApprovals(ApprovalStore approvals)
{
    /// <summary>Whether operations of <paramref name="kind"/> start <c>pending_approval</c>: destructive kinds (DESIGN.md §9: four eyes).</summary>
    public static bool Required(OperationKind kind) => kind.Risk == OperationRisk.Destructive;

    /// <summary>
    /// Records the pending approval of operation <paramref name="operationId"/>, inserted in
    /// <paramref name="transaction"/> with its jobs <c>pending_approval</c>. The hashed request is
    /// <c>{kind, parameters, target, agents: [{id, hostname}] (by id), timeoutSeconds, priority}</c>;
    /// while it waits, its jobs' deadline is the latest time they could still run (expiry + timeout);
    /// the release sets it from the release time.
    /// </summary>
    public async Task<ApprovalResponse> RequestAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid operationId, OperationKind kind, Caller requester, CancellationToken cancellationToken)
    {
        var operation = await connection.QuerySingleAsync<(string Kind, string Parameters, string Target, int TimeoutSeconds, int Priority, string? Rollout, string[] Locks)>(new CommandDefinition(
            "SELECT kind, parameters::text, target::text, timeout_seconds, priority, rollout::text, locks FROM operations WHERE id = @operationId",
            new { operationId }, transaction, cancellationToken: cancellationToken));
        var agents = (await connection.QueryAsync<(Guid Id, string Hostname)>(new CommandDefinition(
            "SELECT a.id, a.hostname FROM jobs j JOIN agents a ON a.id = j.agent_id WHERE j.operation_id = @operationId ORDER BY a.id",
            new { operationId }, transaction, cancellationToken: cancellationToken))).ToList();
        var request = new
        {
            kind = operation.Kind,
            parameters = JsonDocument.Parse(operation.Parameters).RootElement,
            target = JsonDocument.Parse(operation.Target).RootElement,
            agents = agents.Select(a => new { id = a.Id, hostname = a.Hostname }).ToList(),
            timeoutSeconds = operation.TimeoutSeconds,
            priority = operation.Priority,
            rollout = operation.Rollout is null ? (JsonElement?)null : JsonDocument.Parse(operation.Rollout).RootElement,
            locks = operation.Locks,
        };
        var approval = await approvals.RequestAsync(
            connection, transaction, OperationApprovalTarget.Type, operationId.ToString(), request, kind.Risk, null, requester, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs SET deadline_at = @expiresAt + make_interval(secs => @timeout) WHERE operation_id = @operationId AND status = 'pending_approval'",
            new { operationId, expiresAt = approval.ExpiresAt, timeout = operation.TimeoutSeconds }, transaction, cancellationToken: cancellationToken));
        return approval;
    }

    /// <summary>Withdraws the pending approval of an operation that is being cancelled (in the cancel's transaction); see <see cref="ApprovalStore.WithdrawAsync"/>.</summary>
    public Task<int> WithdrawAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid operationId, Caller caller, CancellationToken cancellationToken) =>
        approvals.WithdrawAsync(connection, transaction, OperationApprovalTarget.Type, operationId.ToString(), caller, "the operation was cancelled", cancellationToken);
}
