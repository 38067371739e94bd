using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// Wakes the <see cref="RolloutReleaser"/> on every replica: <c>NOTIFY ops_rollout</c> is sent when a
/// batch's pause starts (a new due time) or a waiter joins a lock queue (a new lock-wait deadline).
/// </summary>
internal sealed class RolloutSignal : BroadcastSignal;
