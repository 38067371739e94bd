using Microsoft.Extensions.Logging;

namespace Ops.Agent.Postgres;

/// <summary>Log messages of the PostgreSQL kinds (event ids 5100–5199).</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(5101, LogLevel.Information, "Backup of {Database} written: {File} ({Bytes} bytes, sha256 {Sha256})")]
    public static partial void BackupWritten(ILogger logger, string database, string file, long bytes, string sha256);

    [LoggerMessage(5102, LogLevel.Warning, "Backup of {Database} failed: {Error}")]
    public static partial void BackupFailed(ILogger logger, string database, string error);

    [LoggerMessage(5103, LogLevel.Information, "Retention removed {File} ({Database}, older than {Days} days)")]
    public static partial void BackupRemoved(ILogger logger, string file, string database, int days);

    [LoggerMessage(5104, LogLevel.Warning, "Restore of {File} into {Database} refused: {Reason}")]
    public static partial void RestoreRefused(ILogger logger, string file, string database, string reason);

    [LoggerMessage(5105, LogLevel.Information, "Restored {File} into {Database} ({Scope})")]
    public static partial void Restored(ILogger logger, string file, string database, string scope);

    [LoggerMessage(5106, LogLevel.Information, "Purge rule {Rule} deleted {Rows} rows from {Table} of {Database}")]
    public static partial void Purged(ILogger logger, string rule, long rows, string table, string database);

    [LoggerMessage(5107, LogLevel.Warning, "Could not drop the scratch database {Scratch}: {Error}")]
    public static partial void ScratchNotDropped(ILogger logger, string scratch, string error);
}
