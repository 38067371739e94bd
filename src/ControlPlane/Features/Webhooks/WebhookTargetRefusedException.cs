namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>A delivery's target resolved only to addresses the <see cref="WebhookTargetGuard"/> refuses.</summary>
internal sealed class WebhookTargetRefusedException(string message) : Exception(message);
