namespace Ops.Agent.Execution;

/// <summary>
/// A program to run for a job, without a shell: <paramref name="FileName"/> and each of
/// <paramref name="Arguments"/> become argv entries as they are (spaces, quotes, <c>;</c>,
/// <c>$(…)</c> are data, never interpreted).
/// </summary>
/// <param name="FileName">An absolute path, or a name looked up on the <c>PATH</c> of <see cref="Environment"/> (else the agent's).</param>
/// <param name="Arguments">argv[1..], each passed verbatim.</param>
internal sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The working directory; null = the agent's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// The whole environment of the process when set (nothing is inherited from the agent);
    /// null = the agent's environment is inherited.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>
    /// When set, stdout bytes are copied here verbatim (e.g. <c>pg_dump</c> to a file) instead of
    /// into the job output; the runner does not dispose it. stderr still goes to the job output.
    /// </summary>
    public Stream? StandardOutputTarget { get; init; }

    /// <summary>
    /// When set, called with the process's stdin, which is closed when it returns; when null,
    /// stdin is closed at once (a program reading it sees end of file).
    /// </summary>
    public Func<Stream, CancellationToken, Task>? StandardInputWriter { get; init; }

    /// <summary>On cancellation: time between SIGTERM and SIGKILL to the process group (default 5 s).</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(5);
}
