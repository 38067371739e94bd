using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>An <c>alert_rules</c> row as Dapper reads it.</summary>
internal sealed class AlertRuleRow
{
    public const string Columns =
        "name, kind, metric, mount, op, threshold, for_seconds, target_labels::text AS target_labels, schedule, consecutive_failures, " +
        "severity, runbook, parameters::text AS parameters, description, created_by, created_at, updated_at";

    public string Name { get; set; } = "";
    public string Kind { get; set; } = "";
    public string? Metric { get; set; }
    public string? Mount { get; set; }
    public string? Op { get; set; }
    public double? Threshold { get; set; }
    public int ForSeconds { get; set; }
    public string? TargetLabels { get; set; }
    public string? Schedule { get; set; }
    public int? ConsecutiveFailures { get; set; }
    public string Severity { get; set; } = "";
    public string? Runbook { get; set; }
    public string? Parameters { get; set; }
    public string? Description { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public Dictionary<string, string>? Labels => TargetLabels is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(TargetLabels);

    public AlertRuleResponse ToResponse() => new(
        Name, Kind, Metric, Mount, Op, Threshold, Kind == "host" ? ForSeconds : null,
        Labels is { } labels ? new AlertRuleTarget(labels) : null,
        Schedule, ConsecutiveFailures, Severity, Runbook,
        Parameters is null ? null : JsonDocument.Parse(Parameters).RootElement.Clone(),
        Description, CreatedBy, DbTime.Utc(CreatedAt), DbTime.Utc(UpdatedAt));
}
