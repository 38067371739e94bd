using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Parameters of <c>postgres.reindex</c>: seed 000's <c>REINDEX DATABASE</c>, or one table's indexes.</summary>
public sealed record PostgresReindexParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Only this table's indexes (default the whole database).")]
    string? Table = null);
