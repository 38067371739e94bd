namespace Ops.Agent.Postgres;

/// <summary>
/// A named check of <c>Postgres:Databases:&lt;db&gt;:Checks</c>: read-only SQL and what its result must
/// satisfy (seed 001: "vérifier qu'il y a des tournois à venir", anomaly detection). Row limits
/// apply to the number of rows returned; value limits to the first column of the first row, which
/// must be a number (or a boolean, read as 1 / 0). At least one expectation is required.
/// </summary>
internal sealed record PostgresCheckPolicy
{
    /// <summary>One SQL statement, run in a READ ONLY transaction (a write fails there, whatever its text).</summary>
    public string? Sql { get; set; }

    /// <summary>Fewest rows expected.</summary>
    public long? MinRows { get; set; }

    /// <summary>Most rows expected (0 for "no anomaly rows").</summary>
    public long? MaxRows { get; set; }

    /// <summary>Smallest value expected of the first column of the first row.</summary>
    public decimal? MinValue { get; set; }

    /// <summary>Largest value expected of the first column of the first row.</summary>
    public decimal? MaxValue { get; set; }

    /// <summary>The transaction's <c>statement_timeout</c>, in seconds (1–3600, default 30).</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>What the check means, for people.</summary>
    public string? Description { get; set; }
}
