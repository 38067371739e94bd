namespace Ops.Agent.Postgres;

/// <summary>A backup file of one database found in the backup folder by its name.</summary>
/// <param name="FileName">The file name: <c>&lt;database&gt;_&lt;yyyyMMdd_HHmmss&gt;.dump</c> or <c>.sql.gz</c>.</param>
/// <param name="FullPath">The absolute path.</param>
/// <param name="Timestamp">The UTC time in the name (when the backup started).</param>
/// <param name="Format"><c>custom</c> for <c>.dump</c>, <c>plain-gzip</c> for <c>.sql.gz</c>.</param>
internal sealed record BackupEntry(string FileName, string FullPath, DateTimeOffset Timestamp, string Format);
