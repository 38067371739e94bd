using System.Text.Json;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// A runbook (DESIGN.md §12): a named, versioned procedure of steps, each one operation. JSON, or
/// YAML of the same shape (<see cref="RunbookParser"/>); checked by <see cref="RunbookValidator"/>.
/// </summary>
/// <param name="Description">What it does and which seed procedure it replaces; at most 2,000 characters.</param>
/// <param name="Parameters">The run's typed inputs by name (a JSON Schema subset, <see cref="RunbookParameter"/>).</param>
/// <param name="Required">Names of <paramref name="Parameters"/> a run must give (unless they have a default).</param>
/// <param name="Locks">Lock keys the run holds from start to end; may reference <c>${params.*}</c> (<c>deploy:${params.service}</c>).</param>
/// <param name="LockTimeoutSeconds">How long a run may wait for its locks before it ends <c>failed</c>; default 3600.</param>
/// <param name="Approval">Runs need a second person's approval (DESIGN.md §14).</param>
/// <param name="Steps">The main steps, run in order; 1–100 steps in all phases.</param>
/// <param name="Rollback">Steps run in order when a step with <c>onFailure: rollback</c> fails; the run then ends <c>rolled_back</c>.</param>
/// <param name="Finally">Steps run after success, failure, rollback or cancellation.</param>
public sealed record RunbookDocument(
    string? Description = null,
    IReadOnlyDictionary<string, RunbookParameter>? Parameters = null,
    IReadOnlyList<string>? Required = null,
    IReadOnlyList<string>? Locks = null,
    int? LockTimeoutSeconds = null,
    RunbookApproval? Approval = null,
    IReadOnlyList<RunbookStep>? Steps = null,
    IReadOnlyList<RunbookStep>? Rollback = null,
    IReadOnlyList<RunbookStep>? Finally = null);

/// <summary>
/// One typed run parameter: <paramref name="Type"/> <c>string</c>, <c>integer</c>, <c>number</c> or
/// <c>boolean</c>, with optional <c>enum</c>, <c>pattern</c> (strings, .NET regular expression),
/// <c>minimum</c> / <c>maximum</c> (numbers), <c>default</c> and <c>description</c>.
/// </summary>
public sealed record RunbookParameter(
    string? Type = null,
    string? Description = null,
    IReadOnlyList<JsonElement>? Enum = null,
    string? Pattern = null,
    double? Minimum = null,
    double? Maximum = null,
    JsonElement? Default = null);

/// <summary>Runs of this runbook need <paramref name="MinApprovals"/> (1–10, default 1) approvals by other people (DESIGN.md §14).</summary>
public sealed record RunbookApproval(int? MinApprovals = null);

/// <summary>
/// One step: an operation of <paramref name="Kind"/> with <paramref name="Parameters"/> (which may
/// hold <c>${…}</c> references) on <paramref name="Target"/>, optionally rolled out in batches
/// behind a <paramref name="HealthGate"/>.
/// </summary>
/// <param name="Name">Unique in the runbook (all phases): letters, digits, <c>_</c>, <c>-</c>; referenced as <c>steps.&lt;name&gt;</c>.</param>
/// <param name="Kind">An operation kind (DESIGN.md §6).</param>
/// <param name="Target">Which agents run it (<c>agentIds</c>, <c>labels</c> or <c>all</c>).</param>
/// <param name="Parameters">The kind's parameters; references are resolved when the step starts.</param>
/// <param name="Rollout">Batches, pause and error budget (DESIGN.md §11).</param>
/// <param name="HealthGate">An operation run after each batch (or once, after the step); if it fails, the step fails.</param>
/// <param name="OnFailure"><c>abort</c> (default), <c>continue</c> or <c>rollback</c>.</param>
/// <param name="TimeoutSeconds">Deadline of each job from its release, 1–86,400 s; default the kind's.</param>
/// <param name="Priority">0–100; default 50.</param>
public sealed record RunbookStep(
    string? Name = null,
    string? Kind = null,
    RunbookTarget? Target = null,
    JsonElement? Parameters = null,
    RolloutOptions? Rollout = null,
    RunbookHealthGate? HealthGate = null,
    string? OnFailure = null,
    int? TimeoutSeconds = null,
    int? Priority = null);

/// <summary>A step's or gate's target: exactly one of <paramref name="AgentIds"/>, <paramref name="Labels"/> (every label must match) or <paramref name="All"/>.</summary>
public sealed record RunbookTarget(
    IReadOnlyList<Guid>? AgentIds = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    bool? All = null);

/// <summary>
/// A health gate (DESIGN.md §12): an operation of <paramref name="Kind"/> run after each batch of
/// its step, on <paramref name="Target"/>, or, when it has none, on the agents of the batch just
/// released. A failed gate fails the step and its remaining jobs end <c>skipped</c>.
/// </summary>
public sealed record RunbookHealthGate(
    string? Kind = null,
    RunbookTarget? Target = null,
    JsonElement? Parameters = null,
    int? TimeoutSeconds = null);
