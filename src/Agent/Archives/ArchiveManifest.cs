namespace Ops.Agent.Archives;

/// <summary>
/// The manifest <c>&lt;file&gt;.json</c> written beside an archive of <c>files.archive</c> once it is
/// complete and renamed, like the database backups' (src/Agent/Postgres/BackupManifest.cs): what
/// <c>files.restore-archive</c> checks the file against. JSON camelCase:
/// <c>{name, file, source, entries, skipped, bytes, sha256, exclude, startedAt, finishedAt, succeeded}</c>.
/// </summary>
/// <param name="Name">The archive name prefix.</param>
/// <param name="File">The archive's file name (no folder).</param>
/// <param name="Source">The archived directory (physical path).</param>
/// <param name="Entries">Entries written (directories, files, symbolic links; not the root).</param>
/// <param name="Skipped">Special files left out (sockets).</param>
/// <param name="Bytes">The archive's size in bytes.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the archive file.</param>
/// <param name="Exclude">The exclude globs that applied.</param>
/// <param name="StartedAt">When archiving started (UTC).</param>
/// <param name="FinishedAt">When the file was complete (UTC).</param>
/// <param name="Succeeded">True when the archive was complete and renamed into place.</param>
internal sealed record ArchiveManifest(
    string Name,
    string File,
    string Source,
    long Entries,
    long Skipped,
    long Bytes,
    string Sha256,
    IReadOnlyList<string> Exclude,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    bool Succeeded);
