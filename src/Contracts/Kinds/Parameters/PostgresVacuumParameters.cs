using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.vacuum</c>: seed 000's weekly <c>VACUUM ANALYZE</c>, on the whole
/// database or some tables. <c>FULL</c> (which locks tables) only when asked.
/// </summary>
public sealed record PostgresVacuumParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Only these tables (default the whole database).")]
    IReadOnlyList<string>? Tables = null,
    [property: Description("Also update planner statistics (default true).")]
    bool? Analyze = null,
    [property: Description("VACUUM FULL: rewrites and locks the tables (default false).")]
    bool? Full = null);
