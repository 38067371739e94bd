namespace Ops.Agent.Postgres;

/// <summary>
/// The <c>Postgres</c> section of the agent's local policy (DESIGN.md §6, §8, §9): the databases
/// this host may act on, by name, with their credentials, verification tables, named checks and
/// purge rules. Requests name a database; connection strings never leave this file. Bound and
/// validated on first use by <see cref="PostgresPolicyLoader"/>; docs/postgres.md lists every key.
/// </summary>
internal sealed record PostgresPolicy
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Postgres";

    /// <summary>
    /// Folder holding <c>pg_dump</c>, <c>pg_restore</c> and <c>psql</c>; null = PATH, then
    /// <c>/usr/lib/postgresql/&lt;newest&gt;/bin</c>.
    /// </summary>
    public string? BinDirectory { get; set; }

    /// <summary>Absolute folder of the backups and their manifests (seed 000 <c>BACKUP_DIR</c>); created 0700 when missing.</summary>
    public string? BackupDirectory { get; set; }

    /// <summary>The databases by policy name (<c>demo</c>); names are case-sensitive.</summary>
    public Dictionary<string, PostgresDatabasePolicy> Databases { get; set; } = new(StringComparer.Ordinal);
}
