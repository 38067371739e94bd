using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>http.check</c>: the runbooks' <c>curl /health</c> with their "response time
/// &gt; 1 s" alert (seeds 000, 001). Fails on an unexpected status, a slow answer or a missing
/// body fragment; the result has status, latency and the checks.
/// </summary>
public sealed record HttpCheckParameters(
    [property: Description("Absolute http:// or https:// URL to request.")]
    string Url,
    [property: Description("GET (default) or HEAD.")]
    string? Method = null,
    [property: Description("Accepted status codes; default 200-399.")]
    IReadOnlyList<int>? ExpectedStatus = null,
    [property: Description("Fail when the response takes longer than this, in milliseconds.")]
    int? MaxLatencyMs = null,
    [property: Description("Fail unless the body contains this text.")]
    string? BodyContains = null,
    [property: Description("Give up after this many milliseconds (default 10000).")]
    int? TimeoutMs = null);
