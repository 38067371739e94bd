using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>An <c>alerts</c> row (with the agent's hostname) as Dapper reads it.</summary>
internal sealed class AlertRow
{
    public const string Columns =
        "al.id, al.rule_name, al.subject, al.agent_id, ag.hostname, al.mount, al.schedule, al.severity, al.state, al.value, " +
        "al.pending_since, al.due_at, al.fired_at, al.resolved_at, al.updated_at, al.remediation::text AS remediation";

    public const string From = "alerts al LEFT JOIN agents ag ON ag.id = al.agent_id";

    public Guid Id { get; set; }
    public string RuleName { get; set; } = "";
    public string Subject { get; set; } = "";
    public Guid? AgentId { get; set; }
    public string? Hostname { get; set; }
    public string? Mount { get; set; }
    public string? Schedule { get; set; }
    public string Severity { get; set; } = "";
    public string State { get; set; } = "";
    public double? Value { get; set; }
    public DateTime PendingSince { get; set; }
    public DateTime? DueAt { get; set; }
    public DateTime? FiredAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? Remediation { get; set; }

    public AlertResponse ToResponse() => new(
        Id, RuleName, Severity, State, AgentId, Hostname, Mount, Schedule, Value, DbTime.Utc(PendingSince), DbTime.Utc(FiredAt), DbTime.Utc(ResolvedAt),
        DbTime.Utc(UpdatedAt), Remediation is null ? null : JsonDocument.Parse(Remediation).RootElement.Clone());
}
