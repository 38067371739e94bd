using Dapper;
using Npgsql;
using Grpc.Core;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Authenticates agent RPCs by <c>authorization: Bearer &lt;agent_token&gt;</c> (DESIGN.md §4, §9):
/// the token's SHA-256 must belong to an unrevoked agent. Checked against the database on every
/// call, so a revocation takes effect on the agent's next call on every replica.
/// </summary>
internal sealed class AgentAuthenticator(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    /// <summary>The calling agent; marks it seen when <paramref name="touch"/> is set.</summary>
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
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var agent = touch
            ? await connection.QuerySingleOrDefaultAsync<(Guid Id, string Hostname, bool Revoked)?>(new CommandDefinition(
                """
                UPDATE agents SET last_seen_at = CASE WHEN revoked_at IS NULL THEN @now ELSE last_seen_at END
                 WHERE token_hash = @hash
                RETURNING id, hostname, revoked_at IS NOT NULL
                """,
                new { hash, now = timeProvider.GetUtcNow() }, cancellationToken: cancellationToken))
            : await connection.QuerySingleOrDefaultAsync<(Guid Id, string Hostname, bool Revoked)?>(new CommandDefinition(
                "SELECT id, hostname, revoked_at IS NOT NULL FROM agents WHERE token_hash = @hash",
                new { hash }, cancellationToken: cancellationToken));
        if (agent is null)
        {
            RpcErrors.Unauthenticated("Unknown agent token.");
        }

        var found = agent.Value;
        if (found.Revoked)
        {
            RpcErrors.Unauthenticated($"Agent {found.Id} is revoked.");
        }

        return new AgentIdentity(found.Id, found.Hostname);
    }
}
