namespace Ops.Agent.Policy;

/// <summary>
/// One named script of <c>Policy:Scripts</c> (seed 000's <c>run_pipeline.py --format modern --days 3</c>).
/// The argv template turns typed arguments into argv entries; no shell is involved.
/// </summary>
internal sealed record ScriptPolicy
{
    /// <summary>
    /// The argv template: the program (absolute path or a name on the script's PATH) then its
    /// arguments. An element that is exactly <c>{name}</c> becomes the argument's value (one argv
    /// entry, whatever it contains) or, for a flag argument, its <c>Flag</c> when true. When the
    /// argument is absent (optional without default, or a false flag) the element is dropped, and so
    /// is the literal option just before it when that option starts with <c>-</c> (so
    /// <c>"--days", "{days}"</c> disappears together). Other elements are literal.
    /// </summary>
    public string[]? Argv { get; set; }

    /// <summary>The working directory (absolute); default: the program's directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Environment variables added to the minimal environment (<c>PATH</c>, <c>HOME</c>, <c>LANG</c>)
    /// the script gets; the agent's own environment is not inherited. Values of keys containing
    /// PASSWORD, SECRET, TOKEN or KEY are redacted from output.
    /// </summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Longest run in seconds; the job's deadline still applies when sooner. Default: none (the job's deadline).</summary>
    public int? TimeoutSeconds { get; set; }

    /// <summary>The typed arguments, by name as used in <c>{name}</c> placeholders and in <c>script.run</c>'s <c>arguments</c>.</summary>
    public Dictionary<string, ScriptArgumentPolicy> Arguments { get; set; } = new(StringComparer.Ordinal);
}
