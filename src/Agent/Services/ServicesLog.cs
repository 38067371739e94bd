using Microsoft.Extensions.Logging;

namespace Ops.Agent.Services;

/// <summary>Log messages of the service kinds (event ids 5200–5299).</summary>
internal static partial class ServicesLog
{
    [LoggerMessage(5201, LogLevel.Warning, "Restart of {Service} refused: {Reason}")]
    public static partial void RestartRefused(ILogger logger, string service, string reason);

    [LoggerMessage(5202, LogLevel.Information, "Restarted {Service} ({Manager} {Name}), exit code {ExitCode}")]
    public static partial void Restarted(ILogger logger, string service, string manager, string name, int exitCode);
}
