namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// Which agents an operation runs on (DESIGN.md §1): exactly one of explicit
/// <see cref="AgentIds"/>, a <see cref="Labels"/> selector (every label must match), or
/// <see cref="All"/> agents. Resolved to one job per agent at submit time; revoked agents and
/// agents that do not run the kind are never selected by labels or all.
/// </summary>
public sealed record OperationTarget(
    IReadOnlyList<Guid>? AgentIds = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    bool? All = null);
