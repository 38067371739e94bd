using System.Text.Json;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>An alert rule as saved; <c>kind</c> is <c>host</c> or <c>schedule</c>.</summary>
internal sealed record AlertRuleResponse(
    string Name,
    string Kind,
    string? Metric,
    string? Mount,
    string? Op,
    double? Threshold,
    int? ForSeconds,
    AlertRuleTarget? Target,
    string? Schedule,
    int? ConsecutiveFailures,
    string Severity,
    string? Runbook,
    JsonElement? Parameters,
    string? Description,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
