namespace Ops.ControlPlane.Features.EnrollmentTokens;

/// <summary>
/// An enrollment token as <c>GET /api/v1/enrollment-tokens</c> lists it: everything but the secret,
/// which is never stored (only its SHA-256).
/// </summary>
/// <param name="Id">The token's id (UUIDv7, the cursor order).</param>
/// <param name="Labels">Labels given to the agents it enrolls.</param>
/// <param name="ExpiresAt">When it stops enrolling (UTC).</param>
/// <param name="MaxUses">How many agents it may enroll.</param>
/// <param name="Uses">How many it has enrolled.</param>
/// <param name="CreatedBy">JWT subject of the admin who created it.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="RevokedAt">When it was revoked (UTC), <c>null</c> while usable. Revoking a token does not revoke the agents it enrolled, nor the reverse.</param>
public sealed record EnrollmentTokenSummary(
    Guid Id,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset ExpiresAt,
    int MaxUses,
    int Uses,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt);
