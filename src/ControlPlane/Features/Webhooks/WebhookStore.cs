using Dapper;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Data access of webhooks and their deliveries for the API. Every change commits with its audit
/// record; a test event and its delivery commit together.
/// </summary>
internal sealed class WebhookStore(NpgsqlDataSource dataSource, WebhookSecrets secrets, AuditWriter audit, EventWriter events, TimeProvider timeProvider)
{
    /// <summary>Creates (with a new secret, returned once) or updates (the secret kept) webhook <paramref name="name"/>.</summary>
    public async Task<(WebhookResponse Webhook, bool Created)> PutAsync(string name, PutWebhookRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var enabled = request.Enabled ?? true;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parameters = new
        {
            name,
            url = request.Url,
            events = request.Events!.ToArray(),
            format = request.Format ?? WebhookFormat.Standard,
            description = request.Description,
            enabled,
            now,
            by = caller.Subject,
        };

        // Insert first (a concurrent create of the same name waits on the key, then updates).
        var secret = WebhookSecrets.Generate();
        var row = await connection.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"""
            INSERT INTO webhooks (name, url, events, format, description, secret_encrypted, enabled, created_by, created_at, updated_at)
            VALUES (@name, @url, @events, @format, @description, @secret, @enabled, @by, @now, @now)
            ON CONFLICT (name) DO NOTHING
            RETURNING {WebhookRow.Columns}
            """,
            new { parameters.name, parameters.url, parameters.events, parameters.format, parameters.description, secret = secrets.Encrypt(name, secret), enabled, by = caller.Subject, now },
            transaction, cancellationToken: cancellationToken));
        var created = row is not null;
        if (row is null)
        {
            secret = null;
            row = await connection.QuerySingleAsync<WebhookRow>(new CommandDefinition(
                $"""
                UPDATE webhooks
                   SET url = @url, events = @events, format = @format, description = @description, enabled = @enabled, updated_at = @now,
                       disabled_reason = CASE WHEN @enabled THEN NULL WHEN enabled THEN 'disabled by ' || @by ELSE disabled_reason END,
                       disabled_at = CASE WHEN @enabled THEN NULL WHEN enabled THEN @now ELSE disabled_at END
                 WHERE name = @name
                RETURNING {WebhookRow.Columns}
                """,
                parameters, transaction, cancellationToken: cancellationToken));
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, created ? "webhook.create" : "webhook.update", "webhook", name, caller.ClientAddress, caller.TraceId,
            new { url = row.Url, events = row.Events, format = row.Format, enabled }), cancellationToken);
        if (enabled)
        {
            // Pending deliveries of a webhook enabled again resume at once, on whichever replica.
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('ops_webhooks', '')", transaction: transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return (row.ToResponse(secret), created);
    }

    public async Task<WebhookResponse?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhooks WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return row?.ToResponse();
    }

    /// <summary>Webhooks by name, after <paramref name="after"/> (keyset).</summary>
    public async Task<IReadOnlyList<WebhookResponse>> ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhooks WHERE (@after::text IS NULL OR name > @after) ORDER BY name LIMIT @limit",
            new { after, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToResponse()).ToList();
    }

    /// <summary>Deletes the webhook and its deliveries; false when there is none.</summary>
    public async Task<bool> DeleteAsync(string name, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM webhooks WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken));
        if (deleted == 0)
        {
            return false;
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "webhook.delete", "webhook", name, caller.ClientAddress, caller.TraceId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The webhook's deliveries, newest first, optionally of one status, before <paramref name="before"/> (keyset on id).</summary>
    public async Task<IReadOnlyList<WebhookDeliveryResponse>> ListDeliveriesAsync(
        string name, string? status, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WebhookDeliveryRow>(new CommandDefinition(
            $"""
            SELECT {WebhookDeliveryRow.Columns}
              FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
             WHERE d.webhook_name = @name
               AND (@status::text IS NULL OR d.status = @status)
               AND (@before::bigint IS NULL OR d.id < @before)
             ORDER BY d.id DESC
             LIMIT @limit
            """,
            new { name, status, before, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToResponse()).ToList();
    }

    public async Task<WebhookDeliveryResponse?> GetDeliveryAsync(string name, long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetDeliveryAsync(connection, null, name, id, cancellationToken);
    }

    private static async Task<WebhookDeliveryResponse?> GetDeliveryAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, long id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<WebhookDeliveryRow>(new CommandDefinition(
            $"SELECT {WebhookDeliveryRow.Columns} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_name = @name AND d.id = @id",
            new { name, id }, transaction, cancellationToken: cancellationToken));
        return row?.ToResponse();
    }

    /// <summary>
    /// Queues the event of delivery <paramref name="id"/> again as a new delivery with the same
    /// <c>webhook-id</c> (receivers deduplicate on it), at the end of the webhook's queue;
    /// <c>null</c> when the webhook or the delivery does not exist.
    /// </summary>
    public async Task<WebhookDeliveryResponse?> RedeliverAsync(string name, long id, Caller caller, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var newId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            INSERT INTO webhook_deliveries (webhook_name, event_id, message_id, status, next_attempt_at, created_at, redelivery_of)
            SELECT webhook_name, event_id, message_id, 'pending', @now, @now, id
              FROM webhook_deliveries WHERE webhook_name = @name AND id = @id
            RETURNING id
            """,
            new { name, id, now }, transaction, cancellationToken: cancellationToken));
        if (newId is null)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('ops_webhooks', '')", transaction: transaction, cancellationToken: cancellationToken));
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "webhook.redeliver", "webhook", name, caller.ClientAddress, caller.TraceId, new { delivery = id, redelivery = newId }), cancellationToken);
        var delivery = await GetDeliveryAsync(connection, transaction, name, newId.Value, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return delivery;
    }

    /// <summary>
    /// Queues a <c>test</c> event for this webhook only (seed 002: "Tester Alertes"): no webhook
    /// subscribes to <c>test</c>, so the event's own trigger adds no other delivery. <c>null</c>
    /// when the webhook does not exist.
    /// </summary>
    public async Task<WebhookDeliveryResponse?> TestAsync(string name, Caller caller, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM webhooks WHERE name = @name FOR SHARE)", new { name }, transaction, cancellationToken: cancellationToken)))
        {
            return null;
        }

        var eventId = await events.AppendAsync(connection, transaction, EventTypes.Test, "webhook", name,
            new { webhook = name, requestedBy = caller.Subject, message = $"Test event from Ops for webhook '{name}'." }, cancellationToken);
        var deliveryId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO webhook_deliveries (webhook_name, event_id, message_id, status, next_attempt_at, created_at)
            VALUES (@name, @eventId, 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'pending', @now, @now)
            RETURNING id
            """,
            new { name, eventId, now }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify('ops_webhooks', '')", transaction: transaction, cancellationToken: cancellationToken));
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "webhook.test", "webhook", name, caller.ClientAddress, caller.TraceId, new { delivery = deliveryId }), cancellationToken);
        var delivery = await GetDeliveryAsync(connection, transaction, name, deliveryId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return delivery;
    }
}
