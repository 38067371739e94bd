using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Infrastructure.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(10, LogLevel.Information, "Applied migration {Version} ({Name})")]
    public static partial void MigrationApplied(ILogger logger, int version, string name);
}
