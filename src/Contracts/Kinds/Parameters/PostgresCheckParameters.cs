using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.check</c>: run a named read-only SQL check from the agent's policy
/// and compare its value with the check's expectation (seed 001's data-freshness and anomaly
/// queries). The SQL lives in the policy, never in the request.
/// </summary>
public sealed record PostgresCheckParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Name of a check defined for that database in the agent's policy.")]
    string Check);
