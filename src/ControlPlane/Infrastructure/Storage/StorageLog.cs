using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Infrastructure.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(10, LogLevel.Information, "Applied migration {Version} ({Name})")]
    public static partial void MigrationApplied(ILogger logger, int version, string name);

    [LoggerMessage(11, LogLevel.Debug, "Listening on PostgreSQL channel {Channel}")]
    public static partial void Listening(ILogger logger, string channel);

    [LoggerMessage(12, LogLevel.Warning, "LISTEN connection failed; retrying in {DelayMs} ms")]
    public static partial void ListenFailed(ILogger logger, Exception exception, double delayMs);
}
