using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>logs.tail</c>: the last lines of a log file, optionally filtered — seed 000's
/// <c>logs --tail=100 | grep -i error</c>. The path must be under the agent's allowed roots.
/// </summary>
public sealed record LogsTailParameters(
    [property: Description("Absolute path of the log file, under the agent's allowed paths.")]
    string Path,
    [property: Description("How many lines from the end (default 100, at most 10000).")]
    int? Lines = null,
    [property: Description("Keep only lines matching this regular expression.")]
    string? Pattern = null,
    [property: Description("Match the pattern case-insensitively (grep -i).")]
    bool? IgnoreCase = null);
