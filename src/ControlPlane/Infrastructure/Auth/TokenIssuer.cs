using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ops.ControlPlane.Infrastructure.Auth;

/// <summary>Mints HS256 access tokens (RFC 7519) for the bootstrap command <c>ops token</c> and for tests.</summary>
internal sealed class TokenIssuer(SymmetricSecurityKey key, AuthOptions options, TimeProvider timeProvider)
{
    /// <summary>A signed JWT with <c>sub</c>, <c>role</c>, <c>iss</c>, <c>aud</c>, <c>iat</c>, <c>exp</c>.</summary>
    /// <exception cref="ArgumentException">Unknown role, empty subject or a non-positive lifetime.</exception>
    public string Mint(string subject, string role, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"Unknown role '{role}'; expected one of {string.Join(", ", Roles.Ordered)}.", nameof(role));
        }

        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("The lifetime must be positive.", nameof(lifetime));
        }

        var now = timeProvider.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim(Roles.ClaimType, role)]),
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}
