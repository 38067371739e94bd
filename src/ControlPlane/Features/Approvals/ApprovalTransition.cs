using Npgsql;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// What an <see cref="IApprovalTarget"/> gets when an approval reaches a final status: the open
/// transaction, the approval as now written (its new <see cref="ApprovalResponse.Status"/>), who
/// caused it (<see cref="Actor"/>: a JWT subject, or <c>system</c> for an expiry), their comment,
/// and the time of the change.
/// </summary>
internal sealed class ApprovalTransition(
    NpgsqlConnection connection, NpgsqlTransaction transaction, ApprovalResponse approval, string actor, string? comment, DateTimeOffset now)
{
    private readonly List<Action> _afterCommit = [];

    public NpgsqlConnection Connection => connection;

    public NpgsqlTransaction Transaction => transaction;

    public ApprovalResponse Approval => approval;

    public string Actor => actor;

    public string? Comment => comment;

    public DateTimeOffset Now => now;

    /// <summary>Runs <paramref name="action"/> after the transaction committed (e.g. waking agents' Pulls on this node); never when it rolled back.</summary>
    public void AfterCommit(Action action) => _afterCommit.Add(action);

    /// <summary>Runs the after-commit actions; called by <see cref="ApprovalStore"/> once the commit succeeded.</summary>
    internal void Committed()
    {
        foreach (var action in _afterCommit)
        {
            action();
        }
    }
}
