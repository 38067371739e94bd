using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Json;

namespace Ops.ControlPlane.Infrastructure.Audit;

/// <summary>Appends to the append-only <c>audit_log</c>, inside the caller's transaction so the record and the change commit together.</summary>
internal sealed class AuditWriter(TimeProvider timeProvider)
{
    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO audit_log (at, actor, actor_role, action, resource_type, resource_id, client_address, trace_id, details)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, connection, transaction);
        command.Parameters.AddWithValue(timeProvider.GetUtcNow());
        command.Parameters.AddWithValue(entry.Actor);
        command.Parameters.AddWithValue((object?)entry.ActorRole ?? DBNull.Value);
        command.Parameters.AddWithValue(entry.Action);
        command.Parameters.AddWithValue(entry.ResourceType);
        command.Parameters.AddWithValue((object?)entry.ResourceId ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)entry.ClientAddress ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)entry.TraceId ?? DBNull.Value);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(entry.Details ?? new { }, OpsJson.Default) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
