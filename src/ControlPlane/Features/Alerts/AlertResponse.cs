using System.Text.Json;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// One alert: an instance of a rule for one agent (and mount) or for the rule's schedule.
/// <c>state</c>: <c>pending</c> (the condition holds, not yet for <c>forSeconds</c>), <c>firing</c>,
/// <c>resolved</c>. <c>value</c>: the metric's latest value (percent, bytes, load, seconds
/// offline), or the count of consecutive failed slots. <c>remediation</c>: what starting the
/// rule's runbook did (<c>{status, runId?, message?}</c>).
/// </summary>
internal sealed record AlertResponse(
    Guid Id,
    string Rule,
    string Severity,
    string State,
    Guid? AgentId,
    string? Hostname,
    string? Mount,
    string? Schedule,
    double? Value,
    DateTimeOffset PendingSince,
    DateTimeOffset? FiredAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset UpdatedAt,
    JsonElement? Remediation);
