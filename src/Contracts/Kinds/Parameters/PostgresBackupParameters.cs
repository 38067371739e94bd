using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.backup</c>: <c>pg_dump</c> of a policy database into the policy's
/// backup folder under a timestamped name (seed 000 "Backup et Restauration", seed 003).
/// The result names the file with its size, SHA-256 and duration.
/// </summary>
public sealed record PostgresBackupParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("custom (pg_dump -Fc, default) or plain-gzip (pg_dump | gzip).")]
    string? Format = null,
    [property: Description("Data only, without the schema (pg_dump --data-only).")]
    bool? DataOnly = null,
    [property: Description("Only these tables (pg_dump --table).")]
    IReadOnlyList<string>? Tables = null,
    [property: Description("Afterwards, delete this database's backups older than this many days (seed 000 keeps 7).")]
    int? RetentionDays = null);
