namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Section <c>Webhooks</c>: delivery policy of the outbox (DESIGN.md §15). The defaults follow
/// the Standard Webhooks guidance: a short request timeout, exponential backoff with jitter,
/// retries for 24 hours.
/// </summary>
internal sealed record WebhooksOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Allows targets on loopback and private networks (RFC 1918, RFC 6598, unique-local
    /// <c>fc00::/7</c>); off by default. <c>./ops up</c> turns it on for its local demo. Link-local
    /// addresses (<c>169.254.0.0/16</c>, <c>fe80::/10</c>, cloud metadata) stay refused.
    /// </summary>
    public bool AllowPrivateNetworks { get; init; }

    /// <summary>Base64 of a 32-byte AES key for the signing secrets; empty: <c>$OPS_HOME/webhook-secrets.key</c>, created once.</summary>
    public string? SecretKey { get; init; }

    /// <summary>One request's timeout, connection included (default 10 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay before the second attempt; doubled on every further attempt (default 5 s).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest delay between two attempts, before jitter (default 1 h).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a delivery is retried after its event, before it is given up as <c>failed</c> (default 24 h).</summary>
    public TimeSpan RetryWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a replica holds a delivery it is sending; after a crash another replica retries it then (default 60 s).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Webhooks sent to at once by one replica (each webhook's deliveries stay in order).</summary>
    public int MaxConcurrentDeliveries { get; init; } = 16;

    /// <summary>The API's public base URL for links in <c>format: slack</c> messages; default <c>http://127.0.0.1:$OPS_HTTP_PORT</c>.</summary>
    public string? PublicBaseUrl { get; init; }

    /// <summary>The errors of these options, keyed by configuration key; empty when valid.</summary>
    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(5))
        {
            errors[$"{Section}:{nameof(RequestTimeout)}"] = "must be between 0 and 5 minutes";
        }

        if (RetryBaseDelay <= TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            errors[$"{Section}:{nameof(RetryBaseDelay)}"] = "must be positive and at most RetryMaxDelay";
        }

        if (RetryWindow <= TimeSpan.Zero)
        {
            errors[$"{Section}:{nameof(RetryWindow)}"] = "must be positive";
        }

        if (LeaseDuration <= RequestTimeout)
        {
            errors[$"{Section}:{nameof(LeaseDuration)}"] = "must be longer than RequestTimeout";
        }

        if (MaxConcurrentDeliveries is < 1 or > 256)
        {
            errors[$"{Section}:{nameof(MaxConcurrentDeliveries)}"] = "must be between 1 and 256";
        }

        if (!string.IsNullOrEmpty(SecretKey))
        {
            var bytes = new byte[64];
            if (!Convert.TryFromBase64String(SecretKey, bytes, out var length) || length != 32)
            {
                errors[$"{Section}:{nameof(SecretKey)}"] = "must be the base64 of exactly 32 bytes";
            }
        }

        if (PublicBaseUrl is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            errors[$"{Section}:{nameof(PublicBaseUrl)}"] = "must be an absolute URL";
        }

        return errors;
    }
}
