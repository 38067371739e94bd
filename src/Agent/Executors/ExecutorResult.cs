namespace Ops.Agent.Executors;

/// <summary>
/// An executor's outcome: success or failure, the small structured result (serialised with
/// <c>AgentJsonContext</c>, camelCase, into <c>result_json</c>: its type must be listed there), an error for people and the exit code.
/// </summary>
/// <param name="Succeeded">True for SUCCEEDED, false for FAILED.</param>
/// <param name="Result">An object serialised as the result, or null for none.</param>
/// <param name="Error">Why it failed; null on success.</param>
/// <param name="ExitCode">The process exit code, or 0 / 1 for in-process executors.</param>
internal sealed record ExecutorResult(bool Succeeded, object? Result, string? Error, int ExitCode)
{
    /// <summary>A successful outcome with exit code 0.</summary>
    public static ExecutorResult Success(object? result = null) => new(true, result, null, 0);

    /// <summary>A failed outcome (exit code 1 unless given).</summary>
    public static ExecutorResult Failure(string error, object? result = null, int exitCode = 1) => new(false, result, error, exitCode);
}
