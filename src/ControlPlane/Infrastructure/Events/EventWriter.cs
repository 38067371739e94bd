using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Json;

namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>
/// Appends an event (DESIGN.md §15) to the <c>events</c> table inside the caller's transaction,
/// through the SQL function <c>emit_event</c> (migration 0004) that database triggers use too, so
/// the event commits with the change that causes it, or not at all. Consumers are woken by their
/// own triggers on <c>events</c> (webhook deliveries notify <c>ops_webhooks</c>), not by a
/// notification per event, which would serialise commits on PostgreSQL's notify lock.
/// </summary>
internal sealed class EventWriter
{
    /// <summary>Writes one event; returns its id (ascending in commit order per resource).</summary>
    /// <param name="connection">The open connection of the transaction.</param>
    /// <param name="transaction">The transaction of the state change.</param>
    /// <param name="type">One of <see cref="EventTypes"/>.</param>
    /// <param name="resourceType"><c>operation</c>, <c>runbook_run</c>, <c>approval</c>, <c>schedule</c>, <c>alert</c>, <c>agent</c>.</param>
    /// <param name="resourceId">The resource's id or name.</param>
    /// <param name="data">The event's <c>data</c>, serialised with the API's JSON options (camelCase).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<long> AppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string type, string resourceType, string resourceId, object data, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT emit_event($1, $2, $3, $4)", connection, transaction);
        command.Parameters.AddWithValue(type);
        command.Parameters.AddWithValue(resourceType);
        command.Parameters.AddWithValue(resourceId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(data, OpsJson.Default) });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
