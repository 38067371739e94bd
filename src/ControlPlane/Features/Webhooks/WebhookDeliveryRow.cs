using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>A <c>webhook_deliveries</c> row joined with its event's type, as Dapper reads it.</summary>
internal sealed class WebhookDeliveryRow
{
    public const string Columns =
        "d.id, d.webhook_name, d.event_id, e.type AS event_type, d.message_id, d.status, d.attempts, d.response_status, d.last_error, " +
        "d.next_attempt_at, d.last_attempt_at, d.created_at, d.finished_at, d.redelivery_of";

    public long Id { get; set; }
    public string WebhookName { get; set; } = "";
    public long EventId { get; set; }
    public string EventType { get; set; } = "";
    public string MessageId { get; set; } = "";
    public string Status { get; set; } = "";
    public int Attempts { get; set; }
    public int? ResponseStatus { get; set; }
    public string? LastError { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? LastAttemptAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public long? RedeliveryOf { get; set; }

    public WebhookDeliveryResponse ToResponse() => new(
        Id, WebhookName, EventId, EventType, MessageId, Status, Attempts, ResponseStatus, LastError,
        Status == "pending" ? DbTime.Utc(NextAttemptAt) : null, DbTime.Utc(LastAttemptAt), DbTime.Utc(CreatedAt), DbTime.Utc(FinishedAt), RedeliveryOf);
}
