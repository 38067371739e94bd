namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>One row of the <c>events</c> table, as a delivery sends it.</summary>
internal sealed record WebhookEvent(long Id, string Type, DateTimeOffset At, string ResourceType, string ResourceId, string Data);
