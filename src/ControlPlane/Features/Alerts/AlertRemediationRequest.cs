using System.Text.Json.Nodes;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>A remediation to start: the rule's runbook with its parameters, references already resolved (<see cref="AlertParameters"/>).</summary>
/// <param name="AlertId">The alert that fired.</param>
/// <param name="Rule">Its rule's name.</param>
/// <param name="Runbook">The runbook's name.</param>
/// <param name="Parameters">The run's parameters (a JSON object).</param>
/// <param name="RequestedBy">Who the run is requested by: <c>alert-rule:&lt;name&gt;</c>.</param>
internal sealed record AlertRemediationRequest(Guid AlertId, string Rule, string Runbook, JsonObject Parameters, string RequestedBy);
