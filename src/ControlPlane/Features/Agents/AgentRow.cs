namespace Ops.ControlPlane.Features.Agents;

/// <summary>An <c>agents</c> row as read by Dapper.</summary>
internal sealed class AgentRow
{
    public Guid Id { get; set; }
    public string Hostname { get; set; } = string.Empty;
    public string Labels { get; set; } = "{}";
    public string AgentVersion { get; set; } = string.Empty;
    public string[] Capabilities { get; set; } = [];
    public string? Facts { get; set; }
    public string? LastStats { get; set; }
    public DateTime EnrolledAt { get; set; }
    public DateTime? LastSeenAt { get; set; }
    public DateTime? RevokedAt { get; set; }

    public const string Columns =
        "id, hostname, labels::text AS labels, agent_version, capabilities, facts::text AS facts, last_stats::text AS last_stats, enrolled_at, last_seen_at, revoked_at";
}
