namespace Ops.ControlPlane.Features.Operations;

/// <summary>An <c>operations</c> row as read by Dapper.</summary>
internal sealed class OperationRow
{
    public Guid Id { get; set; }
    public string Kind { get; set; } = string.Empty;
    public string Parameters { get; set; } = "{}";
    public string Target { get; set; } = "{}";
    public string Status { get; set; } = string.Empty;
    public int Priority { get; set; }
    public int TimeoutSeconds { get; set; }
    public string CreatedBy { get; set; } = string.Empty;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? CancelRequestedAt { get; set; }
    public int JobCount { get; set; }

    public const string Columns =
        "o.id, o.kind, o.parameters::text AS parameters, o.target::text AS target, o.status, o.priority, o.timeout_seconds, o.created_by, " +
        "o.created_at, o.updated_at, o.cancel_requested_at, o.jobs_total AS job_count";
}
