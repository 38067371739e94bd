using Dapper;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// The dispatcher's side of <c>webhook_deliveries</c>. Each webhook is a queue sent in order:
/// only its head (oldest <c>pending</c> delivery) is ever sent, and the next one waits until the
/// head succeeded or was given up. A replica leases a head by setting <c>locked_until</c> in a
/// statement that locks it <c>FOR UPDATE SKIP LOCKED</c>, so two replicas never send it at once;
/// a crashed replica's lease expires and another sends it again (at least once).
/// </summary>
internal sealed class WebhookOutbox(NpgsqlDataSource dataSource, WebhooksOptions options)
{
    private const string Heads =
        """
        SELECT h.id, h.next_attempt_at, h.locked_until
          FROM webhooks w
          CROSS JOIN LATERAL (
                SELECT d.id, d.next_attempt_at, d.locked_until
                  FROM webhook_deliveries d
                 WHERE d.webhook_name = w.name AND d.status = 'pending'
                 ORDER BY d.id
                 LIMIT 1) h
         WHERE w.enabled
        """;

    /// <summary>Leases up to <paramref name="limit"/> due heads of webhooks other than <paramref name="busy"/>, counting one attempt each.</summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTimeOffset now, int limit, IReadOnlyCollection<string> busy, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClaimRow>(new CommandDefinition(
            $"""
            WITH due AS (
                SELECT d.id FROM webhook_deliveries d
                 WHERE d.id IN (SELECT h.id FROM ({Heads}) h
                                 WHERE h.next_attempt_at <= @now AND (h.locked_until IS NULL OR h.locked_until <= @now))
                   -- Re-checked on the latest row version once locked: a head another replica just leased is skipped.
                   AND d.status = 'pending' AND d.next_attempt_at <= @now AND (d.locked_until IS NULL OR d.locked_until <= @now)
                   AND NOT (d.webhook_name = ANY (@busy))
                 ORDER BY d.id
                 LIMIT @limit
                 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE webhook_deliveries d
                   SET locked_until = @lockedUntil, attempts = d.attempts + 1, last_attempt_at = @now
                  FROM due WHERE d.id = due.id
                RETURNING d.id, d.webhook_name, d.message_id, d.attempts, d.created_at, d.event_id)
            SELECT c.id, c.webhook_name, w.url, w.format, w.secret_encrypted, c.message_id, c.attempts, c.created_at,
                   e.id AS event_id, e.type AS event_type, e.at AS event_at, e.resource_type, e.resource_id, e.data::text AS event_data
              FROM claimed c JOIN webhooks w ON w.name = c.webhook_name JOIN events e ON e.id = c.event_id
            """,
            new { now, lockedUntil = now + options.LeaseDuration, limit, busy = busy.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => new ClaimedDelivery(
            r.Id, r.WebhookName, r.Url, r.Format, r.SecretEncrypted, r.MessageId, r.Attempts, DbTime.Utc(r.CreatedAt),
            new WebhookEvent(r.EventId, r.EventType, DbTime.Utc(r.EventAt), r.ResourceType, r.ResourceId, r.EventData))).ToList();
    }

    /// <summary>When the earliest head becomes sendable (its next attempt, or its lease's end); <c>null</c> when nothing is pending.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var due = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            $"SELECT min(greatest(h.next_attempt_at, coalesce(h.locked_until, h.next_attempt_at))) FROM ({Heads}) h",
            cancellationToken: cancellationToken));
        return DbTime.Utc(due);
    }

    /// <summary>A 2xx answer: the delivery is done; the webhook's next one may go.</summary>
    public Task SucceededAsync(ClaimedDelivery delivery, int status, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            UPDATE webhook_deliveries SET status = 'succeeded', response_status = @status, last_error = NULL, finished_at = @now, locked_until = NULL
             WHERE id = @id AND status = 'pending'
            """,
            new { id = delivery.Id, status, now }, cancellationToken);

    /// <summary>A failed attempt to retry at <paramref name="nextAttemptAt"/>.</summary>
    public Task RetryAsync(ClaimedDelivery delivery, int? status, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            UPDATE webhook_deliveries SET response_status = @status, last_error = @error, next_attempt_at = @nextAttemptAt, locked_until = NULL
             WHERE id = @id AND status = 'pending'
            """,
            new { id = delivery.Id, status, error, nextAttemptAt }, cancellationToken);

    /// <summary>Given up: the retry window is over. The webhook's next delivery may go.</summary>
    public Task GaveUpAsync(ClaimedDelivery delivery, int? status, string error, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            """
            UPDATE webhook_deliveries SET status = 'failed', response_status = @status, last_error = @error, finished_at = @now, locked_until = NULL
             WHERE id = @id AND status = 'pending'
            """,
            new { id = delivery.Id, status, error, now }, cancellationToken);

    /// <summary>410 Gone: the delivery fails and the webhook is disabled in one transaction; its other deliveries wait until it is saved again.</summary>
    public async Task GoneAsync(ClaimedDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE webhook_deliveries SET status = 'failed', response_status = 410, last_error = 'the receiver answered 410 Gone: webhook disabled',
                   finished_at = @now, locked_until = NULL
             WHERE id = @id AND status = 'pending'
            """,
            new { id = delivery.Id, now }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE webhooks SET enabled = false, disabled_at = @now, updated_at = @now,
                   disabled_reason = 'the receiver answered 410 Gone to delivery ' || @id || '; save the webhook again to enable it'
             WHERE name = @name AND enabled
            """,
            new { id = delivery.Id, name = delivery.WebhookName, now }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Gives a lease back without counting the attempt (this replica is stopping).</summary>
    public Task ReleaseAsync(ClaimedDelivery delivery, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE webhook_deliveries SET locked_until = NULL, attempts = greatest(attempts - 1, 0) WHERE id = @id AND status = 'pending'",
            new { id = delivery.Id }, cancellationToken);

    private async Task ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    private sealed class ClaimRow
    {
        public long Id { get; set; }
        public string WebhookName { get; set; } = "";
        public string Url { get; set; } = "";
        public string Format { get; set; } = "";
        public byte[] SecretEncrypted { get; set; } = [];
        public string MessageId { get; set; } = "";
        public int Attempts { get; set; }
        public DateTime CreatedAt { get; set; }
        public long EventId { get; set; }
        public string EventType { get; set; } = "";
        public DateTime EventAt { get; set; }
        public string ResourceType { get; set; } = "";
        public string ResourceId { get; set; } = "";
        public string EventData { get; set; } = "";
    }
}
