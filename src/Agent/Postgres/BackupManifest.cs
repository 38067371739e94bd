namespace Ops.Agent.Postgres;

/// <summary>
/// The manifest <c>&lt;file&gt;.json</c> written beside a backup once it is complete and renamed:
/// what <c>postgres.restore</c> and <c>postgres.verify-backup</c> check the file against (its
/// SHA-256) and what <c>service.restart</c> reads to prove a recent backup exists (seed 002).
/// JSON camelCase: <c>{database, file, format, dataOnly, tables, bytes, sha256, startedAt, finishedAt, succeeded}</c>.
/// </summary>
/// <param name="Database">The policy name of the database.</param>
/// <param name="File">The backup's file name (no folder).</param>
/// <param name="Format"><c>custom</c> (pg_dump -Fc) or <c>plain-gzip</c> (gzipped SQL).</param>
/// <param name="DataOnly">True for <c>pg_dump --data-only</c>.</param>
/// <param name="Tables">The tables asked for; empty = the whole database.</param>
/// <param name="Bytes">The file's size in bytes.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file.</param>
/// <param name="StartedAt">When pg_dump started (UTC).</param>
/// <param name="FinishedAt">When the file was complete (UTC).</param>
/// <param name="Succeeded">True when pg_dump exited 0 and the file was renamed into place.</param>
internal sealed record BackupManifest(
    string Database,
    string File,
    string Format,
    bool DataOnly,
    IReadOnlyList<string> Tables,
    long Bytes,
    string Sha256,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    bool Succeeded);
