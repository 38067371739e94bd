namespace Ops.Agent.Postgres;

/// <summary>
/// A backup cannot be used: no such file, no manifest, a manifest of another database or of a
/// failed run, or a file whose SHA-256 no longer matches the manifest (changed since the backup).
/// The message says which; restore and verify fail with it before touching any database.
/// </summary>
internal sealed class BackupRefusedException(string message) : Exception(message);
