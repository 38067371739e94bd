using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.purge</c> (destructive: needs an approval by a second person, an admin): apply a named retention rule of
/// the agent's policy — delete rows older than its days, in batches, up to its per-run cap (seed
/// 000: <c>user_sessions</c> 90 days, <c>audit_logs</c> 180 days).
/// </summary>
public sealed record PostgresPurgeParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Name of a retention rule defined for that database in the agent's policy.")]
    string Rule);
