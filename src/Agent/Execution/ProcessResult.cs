namespace Ops.Agent.Execution;

/// <summary>How a process run by <see cref="IProcessRunner"/> ended.</summary>
/// <param name="ExitCode">The exit code, or 128 + the signal number when a signal killed it (as shells report it).</param>
/// <param name="Cancelled">
/// Always false from <see cref="ProcessRunner"/>: a cancelled run throws
/// <see cref="OperationCanceledException"/> instead. Kept for runners that report rather than throw.
/// </param>
/// <param name="Duration">Wall time from start to exit.</param>
internal sealed record ProcessResult(int ExitCode, bool Cancelled, TimeSpan Duration);
