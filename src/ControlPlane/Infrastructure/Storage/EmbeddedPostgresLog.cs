using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Infrastructure.Storage;

internal static partial class EmbeddedPostgresLog
{
    [LoggerMessage(1, LogLevel.Information, "Creating the embedded PostgreSQL cluster in {DataDirectory}")]
    public static partial void Initializing(ILogger logger, string dataDirectory);

    [LoggerMessage(2, LogLevel.Information, "Embedded PostgreSQL started; socket in {RootDirectory}")]
    public static partial void Started(ILogger logger, string rootDirectory);

    [LoggerMessage(3, LogLevel.Information, "Embedded PostgreSQL in {RootDirectory} stopped")]
    public static partial void Stopped(ILogger logger, string rootDirectory);

    [LoggerMessage(4, LogLevel.Warning, "A PostgreSQL server (pid {Pid}) left by a previous run is still running in {RootDirectory}; stopping it")]
    public static partial void StoppingLeftover(ILogger logger, int pid, string rootDirectory);

    [LoggerMessage(5, LogLevel.Warning, "Removing the stale {PidFile} of a previous run that ended without stopping PostgreSQL")]
    public static partial void RemovingStalePid(ILogger logger, string pidFile);
}
