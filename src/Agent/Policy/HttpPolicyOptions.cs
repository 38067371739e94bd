namespace Ops.Agent.Policy;

/// <summary>
/// <c>Policy:Http</c>: what <c>http.request</c> and <c>queue.check</c> may send. A request names a
/// credential; the secret stays here (or in the agent's environment) and is sent only to that
/// credential's <see cref="HttpCredentialPolicy.AllowedUrls"/>. A mutating method (POST, PUT,
/// PATCH, DELETE) goes only to a URL under one of <see cref="AllowedMutations"/>, so a
/// control-plane user cannot make an agent POST anywhere (issue 15). docs/agent-config.md.
/// </summary>
internal sealed record HttpPolicyOptions
{
    /// <summary>Named credentials by name (<c>admin-api</c>); names are case-sensitive.</summary>
    public Dictionary<string, HttpCredentialPolicy> Credentials { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// URL prefixes (absolute http/https) that mutating methods may be sent to, e.g.
    /// <c>https://api.internal/admin/</c>. A prefix ending in <c>/</c> covers everything below it;
    /// otherwise it covers the exact path and what lies below <c>prefix + "/"</c>. Empty: no
    /// mutating request is allowed.
    /// </summary>
    public string[]? AllowedMutations { get; set; }
}
