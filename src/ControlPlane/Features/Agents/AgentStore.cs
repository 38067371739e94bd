using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Http;

using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Agents;

/// <summary>Inventory reads and revocation of agents.</summary>
internal sealed class AgentStore(NpgsqlDataSource dataSource, AuditWriter audit, AgentOptions options, TimeProvider timeProvider, AgentProtocol.AgentTokenCache tokens)
{
    public async Task<AgentResponse?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AgentRow>(new CommandDefinition(
            $"SELECT {AgentRow.Columns} FROM agents WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : ToResponse(row);
    }

    /// <summary>Agents ordered by id descending (enrollment order, newest first), after <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<AgentResponse>> ListAsync(Guid? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AgentRow>(new CommandDefinition(
            $"SELECT {AgentRow.Columns} FROM agents WHERE (@before::uuid IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit",
            new { before, limit }, cancellationToken: cancellationToken));
        return rows.Select(ToResponse).ToList();
    }

    /// <summary>
    /// Revokes the agent's token at once: its next call is UNAUTHENTICATED. Its queued and leased
    /// jobs end <c>cancelled</c>, running ones <c>lost</c>. Returns <c>null</c> when unknown.
    /// </summary>
    public async Task<AgentResponse?> RevokeAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agents SET revoked_at = @now, revoked_by = @by WHERE id = @id AND revoked_at IS NULL",
            new { id, now, by = caller.Subject }, transaction, cancellationToken: cancellationToken));
        var exists = changed > 0 || await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM agents WHERE id = @id)", new { id }, transaction, cancellationToken: cancellationToken));
        if (!exists)
        {
            return null;
        }

        if (changed > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE jobs SET status = CASE WHEN status = 'running' THEN 'lost' ELSE 'cancelled' END,
                                finished_at = @now, error = 'agent revoked'
                 WHERE agent_id = @id AND job_is_unfinished(status)
                """,
                new { id, now }, transaction, cancellationToken: cancellationToken));
            await audit.AppendAsync(connection, transaction, new AuditEntry(
                caller.Subject, caller.Role, "agent.revoke", "agent", id.ToString(), caller.ClientAddress, caller.TraceId), cancellationToken);
        }

        var row = await connection.QuerySingleAsync<AgentRow>(new CommandDefinition(
            $"SELECT {AgentRow.Columns} FROM agents WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        // Refused from this replica's next call on; other replicas evict it on NOTIFY ops_agent_tokens (migration 0070).
        tokens.Evict(id);
        return ToResponse(row);
    }

    private AgentResponse ToResponse(AgentRow row)
    {
        var status = row.RevokedAt is not null
            ? AgentStatus.Revoked
            : row.LastSeenAt is { } seen && timeProvider.GetUtcNow() - DbTime.Utc(seen) <= options.OfflineAfter
                ? AgentStatus.Online
                : AgentStatus.Offline;
        return new AgentResponse(
            row.Id,
            row.Hostname,
            JsonSerializer.Deserialize<Dictionary<string, string>>(row.Labels) ?? [],
            row.Facts is null ? null : DbJson.Parse(row.Facts),
            row.Capabilities,
            row.AgentVersion,
            status,
            DbTime.Utc(row.EnrolledAt),
            DbTime.Utc(row.LastSeenAt),
            DbTime.Utc(row.RevokedAt),
            row.LastStats is null ? null : DbJson.Parse(row.LastStats));
    }
}
