using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>http.request</c>: an authenticated HTTP call, seed 001's
/// <c>curl -u $ADMIN_USERNAME:$ADMIN_PASSWORD -X POST https://&lt;api-url&gt;/admin/ingest</c>.
/// The request never carries a secret: <paramref name="Credential"/> names an entry of the agent's
/// policy (<c>Policy:Http:Credentials:&lt;name&gt;</c>), which is only ever sent to that entry's
/// allowed URLs; a mutating method (POST, PUT, PATCH, DELETE) is sent only to a URL under one of
/// the policy's <c>Policy:Http:AllowedMutations</c> prefixes. Redirects are not followed. The result
/// has the status, latency, a subset of the response headers and the first 4 KiB of the body.
/// </summary>
public sealed record HttpRequestParameters(
    [property: Description("Absolute http:// or https:// URL to request.")]
    string Url,
    [property: Description("GET, HEAD, POST, PUT, PATCH or DELETE; mutating methods only to a URL under the agent's Policy:Http:AllowedMutations.")]
    string Method,
    [property: Description("Name of a credential of the agent's policy (Policy:Http:Credentials): basic, bearer or a header; the secret stays on the agent.")]
    string? Credential = null,
    [property: Description("Extra request headers (name to value); Authorization, Cookie, Host and hop-by-hop headers are refused.")]
    IReadOnlyDictionary<string, string>? Headers = null,
    [property: Description("Request body as text (UTF-8), for POST, PUT, PATCH or DELETE; Content-Type from headers, default application/json.")]
    string? Body = null,
    [property: Description("Accepted status codes; default 200-299.")]
    IReadOnlyList<int>? ExpectedStatus = null,
    [property: Description("Fail when the response takes longer than this, in milliseconds.")]
    int? MaxLatencyMs = null,
    [property: Description("Fail unless the body (first 1 MiB) contains this text.")]
    string? BodyContains = null,
    [property: Description("Give up after this many milliseconds (default 30000).")]
    int? TimeoutMs = null);
