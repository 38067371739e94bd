using System.Text.Json;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// Body of <c>PUT /api/v1/alert-rules/{name}</c> (DESIGN.md §15): a host rule
/// (<see cref="Metric"/>, <see cref="Op"/>, <see cref="Threshold"/>, <see cref="ForSeconds"/>,
/// <see cref="Target"/>, <see cref="Mount"/>) or a schedule rule (<see cref="Schedule"/>,
/// <see cref="ConsecutiveFailures"/>), never both.
/// </summary>
/// <param name="Metric"><c>cpu_percent</c> | <c>memory_used_percent</c> | <c>load1</c> | <c>disk_free_bytes</c> | <c>disk_free_percent</c> | <c>agent_offline</c>.</param>
/// <param name="Mount">Disk metrics only: one mount (e.g. <c>/</c>); without it every mount of the sample is watched, one alert each.</param>
/// <param name="Op"><c>&lt;</c> or <c>&gt;</c>: the alert condition is <c>value op threshold</c>. Not used by <c>agent_offline</c>.</param>
/// <param name="Threshold">Percent for the <c>_percent</c> metrics, bytes for <c>disk_free_bytes</c>. Not used by <c>agent_offline</c>.</param>
/// <param name="ForSeconds">How long the condition must hold before the alert fires (0–86,400; default 0); until then it is <c>pending</c>.</param>
/// <param name="Target">Which agents: <c>{labels: {...}}</c>, every label must match; absent: every agent.</param>
/// <param name="Schedule">Schedule rules: the schedule's name (it need not exist yet).</param>
/// <param name="ConsecutiveFailures">Schedule rules: fires when this many slots in a row failed (1–1,000); a succeeded slot resolves it.</param>
/// <param name="Severity"><c>info</c> | <c>warning</c> | <c>critical</c>.</param>
/// <param name="Runbook">A runbook started when the alert fires (remediation).</param>
/// <param name="Parameters">The runbook's parameters; strings may reference <c>${alert.agentId}</c>, <c>${alert.mount}</c>, <c>${alert.value}</c>, <c>${alert.rule}</c>, <c>${alert.id}</c>.</param>
/// <param name="Description">Free text, at most 500 characters.</param>
internal sealed record PutAlertRuleRequest(
    string? Metric,
    string? Mount,
    string? Op,
    double? Threshold,
    int? ForSeconds,
    AlertRuleTarget? Target,
    string? Schedule,
    int? ConsecutiveFailures,
    string? Severity,
    string? Runbook,
    JsonElement? Parameters,
    string? Description);
