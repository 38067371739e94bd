using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Executors;

/// <summary>
/// Where an executor writes the job's output lines. Lines are redacted (configured secrets and
/// credential patterns), batched and sent to the control plane in order (AppendOutput); past the
/// per-job limit the head and the tail are kept and the middle is dropped and reported as
/// truncated. Never blocks on the network; thread-safe.
/// </summary>
internal interface IJobOutput
{
    /// <summary>Appends one line (a trailing newline is added) to <paramref name="stream"/>.</summary>
    /// <param name="stream">stdout, stderr or system (the agent's own notes).</param>
    /// <param name="line">The text, UTF-8 encoded on the wire.</param>
    void WriteLine(OutputStream stream, string line);

    /// <summary>
    /// Appends a block of whole lines separated by <c>\n</c> (a final <c>\n</c> is optional and
    /// added when missing), e.g. everything a process printed in one read. Faster than one
    /// <see cref="WriteLine"/> per line for chatty programs.
    /// </summary>
    void WriteLines(OutputStream stream, string lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var text = lines.EndsWith('\n') ? lines[..^1] : lines;
        foreach (var line in text.Split('\n'))
        {
            WriteLine(stream, line);
        }
    }
}
