namespace Ops.Agent.Hosting;

/// <summary>
/// A condition the agent must not retry (revoked token, refused enrollment, unusable state
/// directory): the agent stops with <see cref="ExitCode"/>.
/// </summary>
/// <param name="exitCode">One of <see cref="AgentExitCodes"/>.</param>
/// <param name="message">What happened and what to do, for the operator.</param>
/// <param name="innerException">The underlying failure, if any.</param>
internal sealed class AgentFatalException(int exitCode, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>The process exit code to stop with.</summary>
    public int ExitCode { get; } = exitCode;
}
