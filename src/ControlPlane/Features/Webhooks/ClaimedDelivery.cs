namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>A delivery a replica has leased to send now: the head of its webhook's queue.</summary>
internal sealed record ClaimedDelivery(
    long Id,
    string WebhookName,
    string Url,
    string Format,
    byte[] SecretEncrypted,
    string MessageId,
    int Attempt,
    DateTimeOffset CreatedAt,
    WebhookEvent Event);
