namespace Ops.ControlPlane.Features.Schedules;

/// <summary>One row of <c>schedules</c> (migrations 0020, 0031), read with Dapper, with the status and hash of its approval.</summary>
internal sealed record ScheduleRow
{
    /// <summary>The column list matching this record, for <c>SELECT {Columns} FROM schedules s</c>.</summary>
    public const string Columns =
        "s.id, s.name, s.cron, s.time_zone, s.operation::text AS operation, s.runbook, s.parameters::text AS parameters, s.overlap, " +
        "s.catchup_window_seconds, s.jitter_seconds, s.paused, s.description, s.locks, s.content_hash, s.version, " +
        "s.created_by, s.created_at, s.updated_by, s.updated_at, s.next_slot_at, s.next_due_at, s.buffered_slot_at, s.approval_id, " +
        "(SELECT a.status FROM approvals a WHERE a.id = s.approval_id) AS approval_status, " +
        "(SELECT a.request_hash FROM approvals a WHERE a.id = s.approval_id) AS approval_request_hash";

    public Guid Id { get; init; }

    public string Name { get; init; } = string.Empty;

    public string Cron { get; init; } = string.Empty;

    public string TimeZone { get; init; } = ScheduleCron.DefaultTimeZone;

    public string? Operation { get; init; }

    public string? Runbook { get; init; }

    public string? Parameters { get; init; }

    public string Overlap { get; init; } = "skip";

    public int CatchupWindowSeconds { get; init; }

    public int JitterSeconds { get; init; }

    public bool Paused { get; init; }

    public string? Description { get; init; }

    public string[] Locks { get; init; } = [];

    public byte[] ContentHash { get; init; } = [];

    public int Version { get; init; }

    public string CreatedBy { get; init; } = string.Empty;

    public DateTime CreatedAt { get; init; }

    public string UpdatedBy { get; init; } = string.Empty;

    public DateTime UpdatedAt { get; init; }

    public DateTime? NextSlotAt { get; init; }

    public DateTime? NextDueAt { get; init; }

    public DateTime? BufferedSlotAt { get; init; }

    /// <summary>The approval of the current content (migration 0031), or <c>null</c> when its action needs none.</summary>
    public Guid? ApprovalId { get; init; }

    /// <summary>That approval's status (<c>pending</c>, <c>approved</c>, …).</summary>
    public string? ApprovalStatus { get; init; }

    /// <summary>That approval's request hash.</summary>
    public string? ApprovalRequestHash { get; init; }
}
