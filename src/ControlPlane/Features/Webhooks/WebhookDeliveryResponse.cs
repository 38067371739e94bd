namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// One delivery: one event to one webhook, with its attempt log summary. <c>status</c>:
/// <c>pending</c> (waiting for its turn or its next attempt), <c>succeeded</c> (a 2xx answer),
/// <c>failed</c> (given up after the retry window, or answered 410). <c>messageId</c> is the
/// <c>webhook-id</c> header, the same on every attempt and on a redelivery.
/// </summary>
internal sealed record WebhookDeliveryResponse(
    long Id,
    string Webhook,
    long EventId,
    string EventType,
    string MessageId,
    string Status,
    int Attempts,
    int? ResponseStatus,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    long? RedeliveryOf);
