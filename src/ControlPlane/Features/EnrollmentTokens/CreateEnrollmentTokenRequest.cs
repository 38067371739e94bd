namespace Ops.ControlPlane.Features.EnrollmentTokens;

/// <summary>
/// Body of <c>POST /api/v1/enrollment-tokens</c>.
/// </summary>
/// <param name="Labels">Labels given to every agent enrolled with the token (merged over the agent's own).</param>
/// <param name="ExpiresInMinutes">Validity, 1–525,600 minutes (one year); default 60.</param>
/// <param name="MaxUses">How many agents may enroll with it, 1–10,000; default 1.</param>
public sealed record CreateEnrollmentTokenRequest(
    IReadOnlyDictionary<string, string>? Labels = null,
    int? ExpiresInMinutes = null,
    int? MaxUses = null);
