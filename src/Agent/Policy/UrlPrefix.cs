namespace Ops.Agent.Policy;

/// <summary>
/// Matches a request URL against the policy's URL prefixes (<c>Policy:Http:AllowedMutations</c>,
/// a credential's <c>AllowedUrls</c>). Both are parsed as absolute URIs, so dot segments are
/// applied first (<c>/admin/../x</c> is <c>/x</c>) and the host compares case-insensitively. A URL
/// matches a prefix when the scheme, host and port are equal and its path equals the prefix's
/// path, or lies under it: below <c>prefix</c> when the prefix ends in <c>/</c>, below
/// <c>prefix + "/"</c> otherwise (so <c>/admin</c> never covers <c>/administrator</c>). The query
/// of a prefix is ignored. A URL whose path carries an encoded dot, slash or backslash
/// (<c>%2e</c>, <c>%2f</c>, <c>%5c</c>) matches nothing: servers decode those differently.
/// </summary>
internal static class UrlPrefix
{
    /// <summary>Whether <paramref name="url"/> lies under <paramref name="prefix"/> (see the class remarks).</summary>
    public static bool Covers(string prefix, Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!TryParse(prefix, out var root) || HasEncodedSeparator(url))
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
        var path = url.AbsolutePath;
        return rootPath.EndsWith('/')
            ? path.StartsWith(rootPath, StringComparison.Ordinal)
            : path == rootPath || path.StartsWith(rootPath + "/", StringComparison.Ordinal);
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

    private static bool HasEncodedSeparator(Uri url)
    {
        var path = url.GetComponents(UriComponents.Path, UriFormat.UriEscaped);
        return path.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%5c", StringComparison.OrdinalIgnoreCase);
    }
}
