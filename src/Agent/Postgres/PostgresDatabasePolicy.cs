namespace Ops.Agent.Postgres;

/// <summary>One database of the <c>Postgres:Databases</c> policy.</summary>
internal sealed record PostgresDatabasePolicy
{
    /// <summary>
    /// Npgsql connection string (<c>Host=/var/run/postgresql;Database=demo;Username=postgres</c>).
    /// For <c>pg_dump</c>/<c>pg_restore</c>/<c>psql</c> it becomes libpq environment variables
    /// (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD…), never command-line arguments.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Tables whose rows <c>postgres.verify-backup</c> counts in the restored copy (seed 004 weekly restore test).</summary>
    public List<string> VerifyTables { get; set; } = [];

    /// <summary>Named read-only checks for <c>postgres.check</c> (seed 001: data freshness, anomalies).</summary>
    public Dictionary<string, PostgresCheckPolicy> Checks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Named retention rules for <c>postgres.purge</c> (seed 000: sessions 90 days, audit logs 180 days).</summary>
    public Dictionary<string, PostgresPurgeRulePolicy> PurgeRules { get; set; } = new(StringComparer.Ordinal);
}
