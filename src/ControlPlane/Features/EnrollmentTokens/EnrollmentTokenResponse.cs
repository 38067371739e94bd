namespace Ops.ControlPlane.Features.EnrollmentTokens;

/// <summary>
/// A new enrollment token. <see cref="Token"/> is shown this once: only its SHA-256 is kept.
/// Hand it to an agent's first start; it is spent after <see cref="MaxUses"/> enrollments or at
/// <see cref="ExpiresAt"/>.
/// </summary>
public sealed record EnrollmentTokenResponse(
    Guid Id,
    string Token,
    DateTimeOffset ExpiresAt,
    int MaxUses,
    IReadOnlyDictionary<string, string> Labels);
