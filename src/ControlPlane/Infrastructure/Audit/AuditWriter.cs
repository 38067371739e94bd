using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Json;

namespace Ops.ControlPlane.Infrastructure.Audit;

/// <summary>Appends to the append-only <c>audit_log</c>, inside the caller's transaction so the record and the change commit together.</summary>
internal sealed class AuditWriter(TimeProvider timeProvider)
{
    /// <summary>Appends <paramref name="entry"/> inside <paramref name="transaction"/> (one round trip).</summary>
    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        Fill(command.Parameters, entry);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The same append as a command of the caller's <see cref="NpgsqlBatch"/>, so it shares the batch's round trip.</summary>
    public NpgsqlBatchCommand Command(AuditEntry entry)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        Fill(command.Parameters, entry);
        return command;
    }

    /// <summary>
    /// The insert of <paramref name="entry"/> as a batch command that writes only if operation
    /// <paramref name="operationId"/> exists in the transaction, with <c>details.jobs</c> set to
    /// its <c>jobs_total</c>: for a batch whose previous statement may or may not have inserted the
    /// operation (the one-round-trip submit, OperationStore).
    /// </summary>
    public NpgsqlBatchCommand CommandForInsertedOperation(AuditEntry entry, Guid operationId)
    {
        var command = new NpgsqlBatchCommand(
            InsertInto + """
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, jsonb_set($9, '{jobs}', to_jsonb(o.jobs_total))
               FROM operations o WHERE o.id = $10
            """);
        Fill(command.Parameters, entry);
        command.Parameters.AddWithValue(operationId);
        return command;
    }

    private const string InsertInto = "INSERT INTO audit_log (at, actor, actor_role, action, resource_type, resource_id, client_address, trace_id, details)";

    private const string InsertSql = InsertInto + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

    private void Fill(NpgsqlParameterCollection parameters, AuditEntry entry)
    {
        parameters.AddWithValue(timeProvider.GetUtcNow());
        parameters.AddWithValue(entry.Actor);
        parameters.AddWithValue((object?)entry.ActorRole ?? DBNull.Value);
        parameters.AddWithValue(entry.Action);
        parameters.AddWithValue(entry.ResourceType);
        parameters.AddWithValue((object?)entry.ResourceId ?? DBNull.Value);
        parameters.AddWithValue((object?)entry.ClientAddress ?? DBNull.Value);
        parameters.AddWithValue((object?)entry.TraceId ?? DBNull.Value);
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(entry.Details ?? new { }, OpsJson.Default) });
    }
}
