using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.stats</c>: the seeds' <c>pg_stat_*</c> queries on a database the
/// agent's policy names — size, connections by state, per-table size and live/dead tuples
/// (seed 004 §4.2), slowest statements (with <c>pg_stat_statements</c>), replication lag.
/// </summary>
public sealed record PostgresStatsParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Sections to collect: size, connections, tables, slowQueries, replication (default all).")]
    IReadOnlyList<string>? Sections = null);
