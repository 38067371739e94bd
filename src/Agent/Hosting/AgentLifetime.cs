using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ops.Agent.Hosting;

/// <summary>
/// Holds the process exit code and stops the host on a fatal condition. The first failure wins;
/// later ones are logged only.
/// </summary>
internal sealed class AgentLifetime(IHostApplicationLifetime lifetime, ILogger<AgentLifetime> logger)
{
    private int exitCode = AgentExitCodes.Success;
    private int failed;

    /// <summary>The exit code the process should end with (<see cref="AgentExitCodes"/>).</summary>
    public int ExitCode => Volatile.Read(ref exitCode);

    /// <summary>Cancelled when the host starts stopping (shutdown requested or a fatal failure).</summary>
    public CancellationToken Stopping => lifetime.ApplicationStopping;

    /// <summary>Records a fatal failure, logs it and stops the host.</summary>
    /// <param name="exception">The failure; its exit code becomes the process's.</param>
    public void Fail(AgentFatalException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (Interlocked.Exchange(ref failed, 1) == 0)
        {
            Volatile.Write(ref exitCode, exception.ExitCode);
            HostingLog.FatalError(logger, exception.ExitCode, exception.Message, exception.InnerException);
        }

        lifetime.StopApplication();
    }
}
