using Microsoft.Extensions.Options;

namespace Ops.Agent.Policy;

/// <summary>
/// Decides whether a job may read or write a path (DESIGN.md §6: "paths … by allowed path").
/// The path is resolved like <c>realpath(3)</c> before it is compared with the roots: <c>.</c> and
/// <c>..</c> are applied to the physical directory, and every existing component that is a
/// symbolic link is replaced by its target (up to 40 links, as Linux allows). Components that do
/// not exist yet (a file about to be created) are kept as written. The roots are resolved the same
/// way, so <c>/var/log</c> as a link still works. A path is inside a root when it equals it or
/// starts with it followed by <c>/</c>. Callers should use the resolved path from then on.
/// </summary>
internal sealed class PathPolicy(IOptions<PolicyOptions> options)
{
    private const int MaxLinks = 40;

    /// <summary>Checks a path to read: under a <c>Policy:Paths:Read</c> or <c>Policy:Paths:Write</c> root.</summary>
    /// <param name="path">The absolute path from the job's parameters.</param>
    /// <param name="resolvedPath">The physical path (no symlinks, no <c>..</c>) to use; empty when refused.</param>
    /// <param name="error">Why it is refused, naming the path and the roots; empty when allowed.</param>
    /// <returns>True when allowed.</returns>
    public bool TryResolveRead(string path, out string resolvedPath, out string error)
        => TryResolve(path, [.. options.Value.Paths.Read ?? [], .. options.Value.Paths.Write ?? []], "read", "Policy:Paths:Read", out resolvedPath, out error);

    /// <summary>Checks a path to write: under a <c>Policy:Paths:Write</c> root.</summary>
    /// <param name="path">The absolute path from the job's parameters.</param>
    /// <param name="resolvedPath">The physical path (no symlinks, no <c>..</c>) to use; empty when refused.</param>
    /// <param name="error">Why it is refused, naming the path and the roots; empty when allowed.</param>
    /// <returns>True when allowed.</returns>
    public bool TryResolveWrite(string path, out string resolvedPath, out string error)
        => TryResolve(path, options.Value.Paths.Write ?? [], "write", "Policy:Paths:Write", out resolvedPath, out error);

    /// <summary>
    /// Resolves <paramref name="path"/> physically (see the class remarks).
    /// </summary>
    /// <param name="path">An absolute path.</param>
    /// <param name="throughLink">Whether a symbolic link was followed.</param>
    /// <returns>The resolved absolute path.</returns>
    /// <exception cref="IOException">More than 40 symbolic links (a loop).</exception>
    public static string Resolve(string path, out bool throughLink)
    {
        ArgumentNullException.ThrowIfNull(path);
        throughLink = false;
        var resolved = new List<string>();
        var remaining = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var links = 0;
        while (remaining.First is { } first)
        {
            var component = first.Value;
            remaining.RemoveFirst();
            if (component == ".")
            {
                continue;
            }

            if (component == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = "/" + string.Join('/', resolved.Append(component));
            var target = ReadLink(candidate);
            if (target is null)
            {
                resolved.Add(component);
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new IOException($"too many levels of symbolic links resolving '{path}'");
            }

            throughLink = true;
            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                remaining.AddFirst(part);
            }
        }

        return "/" + string.Join('/', resolved);
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool TryResolve(string path, IReadOnlyList<string> roots, string access, string key, out string resolvedPath, out string error)
    {
        resolvedPath = string.Empty;
        if (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal))
        {
            error = $"path '{path}' must be absolute";
            return false;
        }

        var usable = roots.Where(r => !string.IsNullOrWhiteSpace(r) && r.StartsWith('/')).ToList();
        if (usable.Count == 0)
        {
            error = $"path '{path}' is refused: this agent's policy allows no {access} paths ({key})";
            return false;
        }

        string resolved;
        bool throughLink;
        try
        {
            resolved = Resolve(path, out throughLink);
        }
        catch (IOException ex)
        {
            error = $"path '{path}' is refused: {ex.Message}";
            return false;
        }

        foreach (var root in usable)
        {
            string resolvedRoot;
            try
            {
                resolvedRoot = Resolve(root, out _);
            }
            catch (IOException)
            {
                continue;
            }

            if (resolved == resolvedRoot || resolvedRoot == "/" || resolved.StartsWith(resolvedRoot + "/", StringComparison.Ordinal))
            {
                resolvedPath = resolved;
                error = string.Empty;
                return true;
            }
        }

        var allowed = string.Join(", ", usable);
        error = resolved == path.TrimEnd('/')
            ? $"path '{path}' is outside the allowed {access} paths ({allowed})"
            : $"path '{path}' resolves to '{resolved}'{(throughLink ? " through a symbolic link" : string.Empty)}, outside the allowed {access} paths ({allowed})";
        return false;
    }
}
