using Npgsql;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// Starts a rule's remediation runbook when one of its alerts fires (DESIGN.md §15). Called inside
/// the transaction that makes the alert <c>firing</c>, so a run it creates commits with that change
/// (or not at all). The default, <see cref="UnavailableAlertRemediation"/>, records that runbooks are
/// not available; the runbook engine registers its own implementation.
/// </summary>
internal interface IAlertRemediation
{
    /// <summary>Starts <paramref name="request"/>'s runbook; returns what happened, stored on the alert as <c>remediation</c>.</summary>
    Task<AlertRemediationResult> StartAsync(AlertRemediationRequest request, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);
}
