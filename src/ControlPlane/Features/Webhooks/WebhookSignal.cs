using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Wakes the <see cref="WebhookDispatcher"/>: <c>NOTIFY ops_webhooks</c> (a delivery was queued,
/// redelivered, or a webhook enabled, on any replica) and the end of a local delivery.
/// </summary>
internal sealed class WebhookSignal : BroadcastSignal;
