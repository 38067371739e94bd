using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Webhooks;

internal static partial class WebhooksLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "Webhook {Webhook}: delivery {DeliveryId} ({EventType}) succeeded with {Status} on attempt {Attempt}")]
    public static partial void Delivered(ILogger logger, string webhook, long deliveryId, string eventType, int status, int attempt);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Webhook {Webhook}: delivery {DeliveryId} attempt {Attempt} failed ({Error}); next attempt in {DelaySeconds} s")]
    public static partial void Retrying(ILogger logger, string webhook, long deliveryId, int attempt, string error, string delaySeconds);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Webhook {Webhook}: delivery {DeliveryId} given up after {Attempt} attempts ({Error})")]
    public static partial void GaveUp(ILogger logger, string webhook, long deliveryId, int attempt, string error);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Webhook {Webhook} disabled: the receiver answered 410 Gone to delivery {DeliveryId}")]
    public static partial void Gone(ILogger logger, string webhook, long deliveryId);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Webhook dispatcher pass failed; retrying")]
    public static partial void PassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Error, Message = "Webhook {Webhook}: the signing secret cannot be decrypted with this key (Webhooks:SecretKey or webhook-secrets.key changed?)")]
    public static partial void SecretUnreadable(ILogger logger, string webhook, Exception exception);
}
