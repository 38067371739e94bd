namespace Ops.Contracts.Kinds;

/// <summary>
/// How much an operation kind can change on a host (DESIGN.md §6). Serialised as
/// <c>read_only</c>, <c>mutating</c>, <c>destructive</c>. Destructive kinds require the
/// <c>admin</c> role at submit time (DESIGN.md §9).
/// </summary>
public enum OperationRisk
{
    /// <summary>Observes only; safe to run any time (e.g. <c>host.disk</c>).</summary>
    ReadOnly,

    /// <summary>Changes state but keeps what was there (e.g. <c>postgres.backup</c>).</summary>
    Mutating,

    /// <summary>Can lose data (e.g. <c>postgres.restore</c>); runs only after an admin other than the requester approved it (DESIGN.md §14).</summary>
    Destructive,
}
