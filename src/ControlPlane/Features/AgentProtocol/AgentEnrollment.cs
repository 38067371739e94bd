using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Exchanges an enrollment token for a new agent identity (DESIGN.md §4 <c>Enroll</c>, §9): the
/// token must exist, be unrevoked, unexpired and have uses left (consumed atomically); its
/// labels are merged over the agent's own; the agent token is returned once and stored as its
/// SHA-256. The enrollment is audited.
/// </summary>
internal sealed class AgentEnrollment(NpgsqlDataSource dataSource, AuditWriter audit, TimeProvider timeProvider)
{
    public const int MaxLabels = 50;
    public const int MaxCapabilities = 200;

    /// <summary>Returns the new agent's id and token.</summary>
    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT for a malformed request; UNAUTHENTICATED for an unusable token.</exception>
    public async Task<(Guid AgentId, string AgentToken)> EnrollAsync(EnrollRequest request, string peer, CancellationToken cancellationToken)
    {
        Validate(request);
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var token = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Labels)?>(new CommandDefinition(
            """
            UPDATE enrollment_tokens SET uses = uses + 1
             WHERE token_hash = @hash AND revoked_at IS NULL AND expires_at > @now AND uses < max_uses
            RETURNING id, labels::text
            """,
            new { hash = SecretTokens.Hash(request.EnrollmentToken), now }, transaction, cancellationToken: cancellationToken));
        if (token is null)
        {
            RpcErrors.Unauthenticated("The enrollment token is unknown, expired, revoked or used up.");
        }

        var labels = new Dictionary<string, string>(request.Labels, StringComparer.Ordinal);
        foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(token.Value.Labels) ?? [])
        {
            labels[key] = value;
        }

        var agentId = Guid.CreateVersion7(now);
        var agentToken = SecretTokens.Generate(SecretTokens.AgentPrefix);
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO agents (id, hostname, labels, agent_version, capabilities, facts, token_hash, enrollment_token_id, enrolled_at, last_seen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue(agentId);
            insert.Parameters.AddWithValue(request.Hostname);
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(labels) });
            insert.Parameters.AddWithValue(request.AgentVersion);
            insert.Parameters.AddWithValue(request.Capabilities.Distinct(StringComparer.Ordinal).ToArray());
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = request.Facts is null ? DBNull.Value : ProtoJson.Facts(request.Facts) });
            insert.Parameters.AddWithValue(SecretTokens.Hash(agentToken));
            insert.Parameters.AddWithValue(token.Value.Id);
            insert.Parameters.AddWithValue(now);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            $"enrollment_token:{token.Value.Id}", null, "agent.enroll", "agent", agentId.ToString(), peer, System.Diagnostics.Activity.Current?.TraceId.ToString(),
            new { hostname = request.Hostname, labels, capabilities = request.Capabilities, agentVersion = request.AgentVersion }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (agentId, agentToken);
    }

    private static void Validate(EnrollRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.EnrollmentToken))
        {
            RpcErrors.InvalidArgument("enrollment_token is required.");
        }

        if (string.IsNullOrWhiteSpace(request.Hostname) || request.Hostname.Length > 255)
        {
            RpcErrors.InvalidArgument("hostname is required (at most 255 characters).");
        }

        if (request.Labels.Count > MaxLabels || request.Labels.Any(l => l.Key.Length is 0 or > 63 || l.Value.Length > 255))
        {
            RpcErrors.InvalidArgument($"labels: at most {MaxLabels}, keys of 1–63 characters, values of at most 255.");
        }

        if (request.Capabilities.Count > MaxCapabilities || request.Capabilities.Any(c => c.Length is 0 or > 100))
        {
            RpcErrors.InvalidArgument($"capabilities: at most {MaxCapabilities} kind names of 1–100 characters.");
        }

        if (request.AgentVersion.Length > 100)
        {
            RpcErrors.InvalidArgument("agent_version: at most 100 characters.");
        }

        RpcErrors.RequireStorableText(request.Hostname, "hostname");
        RpcErrors.RequireStorableText(request.AgentVersion, "agent_version");
        RpcErrors.RequireStorableText(string.Concat(request.Labels.Keys.Concat(request.Labels.Values)), "labels");
        RpcErrors.RequireStorableText(string.Concat(request.Capabilities), "capabilities");
        if (request.Facts is { } facts)
        {
            RpcErrors.RequireStorableText(facts.Os + facts.Kernel + facts.Architecture, "facts");
        }
    }
}
