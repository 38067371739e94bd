namespace Ops.ControlPlane.Features.Jobs;

/// <summary>A <c>jobs</c> row as read by Dapper (snake_case columns matched to these names).</summary>
internal sealed class JobRow
{
    public Guid Id { get; set; }
    public Guid OperationId { get; set; }
    public Guid AgentId { get; set; }
    public string Kind { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public int Priority { get; set; }
    public int Attempt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime QueuedAt { get; set; }
    public DateTime? DeadlineAt { get; set; }
    public DateTime? LeasedAt { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime? CancelRequestedAt { get; set; }
    public int? ExitCode { get; set; }
    public string? Result { get; set; }
    public string? Error { get; set; }
    public long OutputBytes { get; set; }
    public bool OutputTruncated { get; set; }
    public int? Batch { get; set; }

    public const string Columns =
        "id, operation_id, agent_id, kind, status, priority, attempt, created_at, queued_at, deadline_at, leased_at, lease_expires_at, " +
        "started_at, finished_at, cancel_requested_at, exit_code, result::text AS result, error, output_bytes, output_truncated, batch";
}
