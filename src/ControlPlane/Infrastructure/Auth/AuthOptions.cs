namespace Ops.ControlPlane.Infrastructure.Auth;

/// <summary>
/// Section <c>Auth</c>. Either <see cref="SigningKey"/> (HS256, at least 32 bytes) or
/// <see cref="Authority"/> (an OIDC issuer whose JWKS signs tokens). With neither, a random key
/// is generated once and kept in <c>$OPS_HOME/jwt-signing.key</c> (mode 0600), which is what
/// the embedded default and <c>./ops token</c> use.
/// </summary>
internal sealed record AuthOptions
{
    public const string Section = "Auth";

    /// <summary>HS256 signing key (UTF-8, ≥ 32 bytes); empty to use the generated key file or <see cref="Authority"/>.</summary>
    public string? SigningKey { get; init; }

    /// <summary>OIDC authority (issuer URL) for production; tokens are then validated against its JWKS.</summary>
    public string? Authority { get; init; }

    /// <summary>Expected <c>iss</c> of HS256 tokens.</summary>
    public string Issuer { get; init; } = "ops";

    /// <summary>Expected <c>aud</c>.</summary>
    public string Audience { get; init; } = "ops-api";
}
