namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>
/// The event types of DESIGN.md §15, exactly as webhooks receive them in <c>type</c>. An event is
/// written to the <c>events</c> table in the transaction of the state change that causes it.
/// </summary>
public static class EventTypes
{
    public const string OperationSucceeded = "operation.succeeded";
    public const string OperationFailed = "operation.failed";
    public const string RunbookRunSucceeded = "runbook_run.succeeded";
    public const string RunbookRunFailed = "runbook_run.failed";
    public const string RunbookRunRolledBack = "runbook_run.rolled_back";
    public const string ApprovalRequested = "approval.requested";
    public const string ApprovalDecided = "approval.decided";
    public const string ScheduleSlotMissed = "schedule.slot_missed";
    public const string ScheduleSlotFailed = "schedule.slot_failed";
    public const string AlertFiring = "alert.firing";
    public const string AlertResolved = "alert.resolved";
    public const string AgentOffline = "agent.offline";

    /// <summary>Sent only by <c>POST /api/v1/webhooks/{name}/test</c> (seed 002: "Tester Alertes").</summary>
    public const string Test = "test";

    /// <summary>Every type a webhook may subscribe to.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        OperationSucceeded, OperationFailed, RunbookRunSucceeded, RunbookRunFailed, RunbookRunRolledBack,
        ApprovalRequested, ApprovalDecided, ScheduleSlotMissed, ScheduleSlotFailed, AlertFiring, AlertResolved, AgentOffline,
    ];
}
