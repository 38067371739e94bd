using Npgsql;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>The remediation used until the runbook engine registers one: starts nothing and says so on the alert.</summary>
internal sealed class UnavailableAlertRemediation : IAlertRemediation
{
    public Task<AlertRemediationResult> StartAsync(AlertRemediationRequest request, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        Task.FromResult(new AlertRemediationResult("unavailable", null, $"runbooks not available: runbook '{request.Runbook}' was not started"));
}
