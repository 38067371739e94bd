namespace Ops.Agent.Policy;

/// <summary>
/// One entry of <c>Policy:Http:Credentials</c>: how to authenticate, and where the secret may be
/// sent. <see cref="Scheme"/>:
/// <list type="bullet">
/// <item><c>basic</c> — <c>Authorization: Basic base64(Username:Password)</c> (RFC 7617, curl <c>-u</c>);</item>
/// <item><c>bearer</c> — <c>Authorization: Bearer Token</c> (RFC 6750);</item>
/// <item><c>header</c> — <c>Header: Value</c> (an API key header such as <c>X-Api-Key</c>).</item>
/// </list>
/// The secret part (password, token or header value) is read from the environment variable named
/// by <see cref="FromEnvironment"/> when it is set (seed 001's <c>$ADMIN_PASSWORD</c>), else from
/// this entry. Every secret is redacted from output and results.
/// </summary>
internal sealed record HttpCredentialPolicy
{
    /// <summary><c>basic</c>, <c>bearer</c> or <c>header</c> (case-insensitive).</summary>
    public string? Scheme { get; set; }

    /// <summary>The user name of a <c>basic</c> credential.</summary>
    public string? Username { get; set; }

    /// <summary>The password of a <c>basic</c> credential.</summary>
    public string? Password { get; set; }

    /// <summary>The token of a <c>bearer</c> credential.</summary>
    public string? Token { get; set; }

    /// <summary>The header name of a <c>header</c> credential (<c>X-Api-Key</c>).</summary>
    public string? Header { get; set; }

    /// <summary>The header value of a <c>header</c> credential (a secret).</summary>
    public string? Value { get; set; }

    /// <summary>An environment variable holding the secret part instead (<c>ADMIN_PASSWORD</c>).</summary>
    public string? FromEnvironment { get; set; }

    /// <summary>URL prefixes (absolute http/https) this credential may be sent to; at least one.</summary>
    public string[]? AllowedUrls { get; set; }
}
