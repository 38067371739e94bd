using Dapper;
using Npgsql;
using Grpc.Core;
using Ops.ControlPlane.Features.Agents;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Authenticates agent RPCs by <c>authorization: Bearer &lt;agent_token&gt;</c> (DESIGN.md §4, §9):
/// the token's SHA-256 must belong to an unrevoked agent. Answers from <see cref="AgentTokenCache"/>
/// (no database read once the agent is known; a revocation evicts it on every replica), and marks
/// the agent seen (<c>last_seen_at</c>) on a Pull at most once per heartbeat interval: heartbeats
/// write it anyway, and the offline threshold is several intervals (<see cref="AgentOptions.OfflineAfter"/>).
/// </summary>
internal sealed class AgentAuthenticator(NpgsqlDataSource dataSource, AgentTokenCache cache, AgentOptions agentOptions, TimeProvider timeProvider)
{
    /// <summary>The calling agent; marks it seen when <paramref name="touch"/> is set and its last touch is older than a heartbeat interval.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED: missing, malformed, unknown or revoked token.</exception>
    public async Task<AgentIdentity> AuthenticateAsync(ServerCallContext context, bool touch, CancellationToken cancellationToken)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length <= scheme.Length)
        {
            RpcErrors.Unauthenticated("Missing agent token: send 'authorization: Bearer <agent_token>'.");
        }

        var hash = SecretTokens.Hash(header[scheme.Length..].Trim());
        var key = Convert.ToHexString(hash);
        var now = timeProvider.GetUtcNow();
        var interval = TimeSpan.FromMilliseconds(agentOptions.HeartbeatIntervalMs);
        if (cache.Find(key) is { } cached)
        {
            if (touch && cached.TryClaimTouch(now.UtcTicks, interval))
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                var alive = await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE agents SET last_seen_at = @now WHERE id = @id AND revoked_at IS NULL",
                    new { id = cached.Identity.AgentId, now }, cancellationToken: cancellationToken));
                if (alive == 0)
                {
                    // Revoked, and its notification not here yet.
                    cache.Evict(cached.Identity.AgentId);
                    RpcErrors.Unauthenticated($"Agent {cached.Identity.AgentId} is revoked.");
                }
            }

            return cached.Identity;
        }

        var generation = cache.Generation;
        (Guid Id, string Hostname, bool Revoked)? agent;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            agent = touch
                ? await connection.QuerySingleOrDefaultAsync<(Guid Id, string Hostname, bool Revoked)?>(new CommandDefinition(
                    """
                    UPDATE agents SET last_seen_at = CASE WHEN revoked_at IS NULL THEN @now ELSE last_seen_at END
                     WHERE token_hash = @hash
                    RETURNING id, hostname, revoked_at IS NOT NULL
                    """,
                    new { hash, now }, cancellationToken: cancellationToken))
                : await connection.QuerySingleOrDefaultAsync<(Guid Id, string Hostname, bool Revoked)?>(new CommandDefinition(
                    "SELECT id, hostname, revoked_at IS NOT NULL FROM agents WHERE token_hash = @hash",
                    new { hash }, cancellationToken: cancellationToken));
        }

        if (agent is null)
        {
            RpcErrors.Unauthenticated("Unknown agent token.");
        }

        var found = agent.Value;
        if (found.Revoked)
        {
            RpcErrors.Unauthenticated($"Agent {found.Id} is revoked.");
        }

        return cache.TryAdd(key, new AgentIdentity(found.Id, found.Hostname), generation, touch ? now.UtcTicks : 0).Identity;
    }
}
