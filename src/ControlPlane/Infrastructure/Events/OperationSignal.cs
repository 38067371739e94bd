namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>
/// Wakes consumers of operations reaching a terminal state (runbook engine, schedules, rollouts):
/// <c>NOTIFY ops_operations, '&lt;operation_id&gt;'</c> sent by the trigger of migration 0004, on every replica.
/// </summary>
internal sealed class OperationSignal : BroadcastSignal;
