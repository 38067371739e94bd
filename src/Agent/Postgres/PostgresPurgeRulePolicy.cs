namespace Ops.Agent.Postgres;

/// <summary>
/// A named retention rule of <c>Postgres:Databases:&lt;db&gt;:PurgeRules</c> for <c>postgres.purge</c>:
/// delete the rows of <see cref="Table"/> whose <see cref="TimestampColumn"/> is older than
/// <see cref="Days"/> days (seed 000 "Nettoyer les vieux logs": <c>user_sessions</c> 90 days,
/// <c>audit_logs</c> 180 days), in batches of <see cref="BatchSize"/>, at most
/// <see cref="MaxRowsPerRun"/> rows per job.
/// </summary>
internal sealed record PostgresPurgeRulePolicy
{
    /// <summary>Table, optionally schema-qualified (<c>manalytics.user_sessions</c>); exact, case-sensitive.</summary>
    public string? Table { get; set; }

    /// <summary>The timestamp (or timestamptz / date) column compared with the cut-off.</summary>
    public string? TimestampColumn { get; set; }

    /// <summary>Rows older than this many days are deleted (1–36500).</summary>
    public int Days { get; set; }

    /// <summary>Rows per DELETE, each its own short transaction (1–100,000, default 1,000).</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Most rows deleted by one job (default 100,000); the rest waits for the next run.</summary>
    public long MaxRowsPerRun { get; set; } = 100_000;
}
