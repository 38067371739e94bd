namespace Ops.Agent.Policy;

/// <summary>
/// Matches a request URL against the policy's URL prefixes (<c>Policy:Http:AllowedMutations</c>,
/// a credential's <c>AllowedUrls</c>). Both are parsed as absolute URIs, so dot segments are
/// applied first (<c>/admin/../x</c> is <c>/x</c>) and the host compares case-insensitively. A URL
/// matches a prefix when the scheme, host and port are equal and its path equals the prefix's
/// path, or lies under it: below <c>prefix</c> when the prefix ends in <c>/</c>, below
/// <c>prefix + "/"</c> otherwise (so <c>/admin</c> never covers <c>/administrator</c>). The query
/// of a prefix is ignored. Because servers decode paths differently, the path must also be covered
/// once percent-decoded, with backslashes read as slashes and dot segments applied again
/// (<c>/admin/x%2F..%2F..%2Fsecret</c> is <c>/secret</c>); an encoded slash that stays inside the
/// prefix (RabbitMQ's vhost <c>%2F</c>) is fine.
/// </summary>
internal static class UrlPrefix
{
    /// <summary>Whether <paramref name="url"/> lies under <paramref name="prefix"/> (see the class remarks).</summary>
    public static bool Covers(string prefix, Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!TryParse(prefix, out var root))
        {
            return false;
        }

        if (!string.Equals(root.Scheme, url.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(root.IdnHost, url.IdnHost, StringComparison.OrdinalIgnoreCase)
            || root.Port != url.Port)
        {
            return false;
        }

        var rootPath = root.AbsolutePath;
        return PathCovers(rootPath, url.AbsolutePath) && PathCovers(rootPath, Decoded(url.AbsolutePath));
    }

    /// <summary>Whether any of <paramref name="prefixes"/> covers <paramref name="url"/>.</summary>
    public static bool AnyCovers(IEnumerable<string>? prefixes, Uri url) => prefixes?.Any(p => Covers(p, url)) ?? false;

    /// <summary>Parses a prefix: an absolute http/https URL with a host and without user info.</summary>
    public static bool TryParse(string? prefix, out Uri uri)
    {
        if (Uri.TryCreate(prefix, UriKind.Absolute, out var parsed)
            && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
            && parsed.Host.Length > 0
            && parsed.UserInfo.Length == 0)
        {
            uri = parsed;
            return true;
        }

        uri = null!;
        return false;
    }

    private static bool PathCovers(string rootPath, string path) =>
        rootPath.EndsWith('/')
            ? path.StartsWith(rootPath, StringComparison.Ordinal)
            : path == rootPath || path.StartsWith(rootPath + "/", StringComparison.Ordinal);

    /// <summary>The path percent-decoded, <c>\</c> as <c>/</c>, with <c>.</c> and <c>..</c> segments applied (RFC 3986 §5.2.4).</summary>
    private static string Decoded(string path)
    {
        var segments = new List<string>();
        var parts = Uri.UnescapeDataString(path).Replace('\\', '/').Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            switch (parts[i])
            {
                case ".":
                    if (i == parts.Length - 1)
                    {
                        segments.Add(string.Empty);
                    }

                    break;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    if (i == parts.Length - 1)
                    {
                        segments.Add(string.Empty);
                    }

                    break;
                default:
                    segments.Add(parts[i]);
                    break;
            }
        }

        return "/" + string.Join('/', segments);
    }
}
