namespace Ops.ControlPlane.Features.Schedules;

/// <summary>One row of <c>schedule_slots</c> (migration 0020), read with Dapper.</summary>
internal sealed record ScheduleSlotRow
{
    /// <summary>The column list matching this record, for <c>SELECT {Columns} FROM schedule_slots sl</c>.</summary>
    public const string Columns =
        "sl.id, sl.schedule_id, sl.slot_at, sl.fired_at, sl.finished_at, sl.status, sl.late, sl.manual, sl.triggered_by, " +
        "sl.operation_id, sl.run_id, sl.outcome, sl.error, sl.approval_id";

    public long Id { get; init; }

    public Guid ScheduleId { get; init; }

    public DateTime SlotAt { get; init; }

    public DateTime? FiredAt { get; init; }

    public DateTime? FinishedAt { get; init; }

    public string Status { get; init; } = string.Empty;

    public bool Late { get; init; }

    public bool Manual { get; init; }

    public string? TriggeredBy { get; init; }

    public Guid? OperationId { get; init; }

    public Guid? RunId { get; init; }

    public string? Outcome { get; init; }

    public string? Error { get; init; }

    public Guid? ApprovalId { get; init; }
}
