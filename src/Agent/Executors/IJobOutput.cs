using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Executors;

/// <summary>
/// Where an executor writes the job's output lines. Lines are batched and sent to the control
/// plane in order (AppendOutput); output beyond the per-job limit is dropped and reported as
/// truncated. Never blocks on the network; thread-safe.
/// </summary>
internal interface IJobOutput
{
    /// <summary>Appends one line (a trailing newline is added) to <paramref name="stream"/>.</summary>
    /// <param name="stream">stdout, stderr or system (the agent's own notes).</param>
    /// <param name="line">The text, UTF-8 encoded on the wire.</param>
    void WriteLine(OutputStream stream, string line);
}
