using System.Text;
using System.Text.RegularExpressions;

namespace Ops.Agent.Archives;

/// <summary>
/// The <c>exclude</c> globs of <c>files.archive</c>, relative to the archived directory:
/// <c>*</c> and <c>?</c> match within one name, <c>**</c> across folders (<c>cache/**</c>,
/// <c>**/*.tmp</c>). A glob without <c>/</c> also matches an entry's own name at any depth, like
/// <c>tar --exclude=*.log</c>. An excluded directory is left out with everything below it.
/// </summary>
internal sealed class ExcludeGlobs
{
    private readonly List<(Regex Pattern, bool NameOnly)> patterns = [];

    /// <summary>Compiles the globs.</summary>
    public ExcludeGlobs(IEnumerable<string>? globs)
    {
        foreach (var glob in globs ?? [])
        {
            var trimmed = glob.TrimEnd('/');
            patterns.Add((new Regex("^" + ToRegex(trimmed) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), !trimmed.Contains('/', StringComparison.Ordinal)));
        }
    }

    /// <summary>Whether the entry at <paramref name="relativePath"/> (<c>/</c>-separated, no leading <c>/</c>) is excluded.</summary>
    public bool Excludes(string relativePath)
    {
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        return patterns.Any(p => p.Pattern.IsMatch(relativePath) || (p.NameOnly && p.Pattern.IsMatch(name)));
    }

    private static string ToRegex(string glob)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/')
                {
                    i++;
                    regex.Append("(?:.*/)?");
                }
                else
                {
                    regex.Append(".*");
                }
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return regex.ToString();
    }
}
