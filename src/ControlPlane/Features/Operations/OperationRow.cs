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
    public string? Rollout { get; set; }
    public int? RolloutBatchSize { get; set; }
    public int RolloutPauseSeconds { get; set; }
    public int RolloutMaxErrors { get; set; }
    public int RolloutBatches { get; set; }
    public int RolloutBatch { get; set; }
    public int RolloutReleased { get; set; }
    public int RolloutFailed { get; set; }
    public DateTime? RolloutNextAt { get; set; }
    public string? RolloutStopped { get; set; }
    public string[] Locks { get; set; } = [];
    public Guid? RunId { get; set; }
    public string? RunStep { get; set; }

    public const string Columns =
        "o.id, o.kind, o.parameters::text AS parameters, o.target::text AS target, o.status, o.priority, o.timeout_seconds, o.created_by, " +
        "o.created_at, o.updated_at, o.cancel_requested_at, o.jobs_total AS job_count, " +
        "o.rollout::text AS rollout, o.rollout_batch_size, o.rollout_pause_seconds, o.rollout_max_errors, o.rollout_batches, o.rollout_batch, " +
        "CASE WHEN o.rollout_batch_size IS NULL THEN 0 ELSE (SELECT count(*)::integer FROM jobs r WHERE r.operation_id = o.id AND r.released_at IS NOT NULL) END AS rollout_released, " +
        "o.jobs_failed + o.jobs_timed_out + o.jobs_lost AS rollout_failed, o.rollout_next_at, o.rollout_stopped, o.locks, o.run_id, o.run_step";
}
