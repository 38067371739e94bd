using Ops.Agent.Executors;

namespace Ops.Agent.Execution;

/// <summary>
/// Runs a program for a job: no shell (argv through <c>ProcessStartInfo.ArgumentList</c>), in a new
/// session and process group of its own (<c>setsid(1)</c>), so the whole tree can be signalled.
/// </summary>
internal interface IProcessRunner
{
    /// <summary>
    /// Starts <paramref name="spec"/>, streams its stdout and stderr lines to
    /// <paramref name="output"/> (stdout / stderr streams; stdout to
    /// <see cref="ProcessSpec.StandardOutputTarget"/> instead when set) and waits for it to exit.
    /// When the process exits, anything it left running in its process group is terminated
    /// (SIGTERM, then SIGKILL): nothing outlives the job.
    /// </summary>
    /// <returns>The exit code and duration; <see cref="ProcessResult.Cancelled"/> is false.</returns>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> fired: the process group (and any descendant that left
    /// it) got SIGTERM, then SIGKILL after <see cref="ProcessSpec.KillGrace"/> if still alive; the
    /// exception is thrown once the process has exited and its output was drained.
    /// </exception>
    /// <exception cref="FileNotFoundException">The program does not exist or is not executable.</exception>
    /// <exception cref="DirectoryNotFoundException">The working directory does not exist.</exception>
    Task<ProcessResult> RunAsync(ProcessSpec spec, IJobOutput output, CancellationToken cancellationToken);
}
