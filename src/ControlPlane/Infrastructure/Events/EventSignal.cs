namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>Wakes consumers of the <c>events</c> table (webhook deliveries): <c>NOTIFY ops_events</c>, on every replica.</summary>
internal sealed class EventSignal : BroadcastSignal;
