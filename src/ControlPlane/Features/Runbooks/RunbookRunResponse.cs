using System.Text.Json;
using Ops.ControlPlane.Features.Locks;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// A runbook run (DESIGN.md §12): which runbook version with which parameters, its status and
/// current <see cref="Phase"/> (<c>main</c>, <c>rollback</c>, <c>finally</c>), the lock it waits on,
/// and every step of every phase in order (<see cref="Steps"/>). <see cref="ApprovalId"/>: the
/// approval guarding it (its own, or the schedule's that covered the slot which started it,
/// DESIGN.md §13–14); read by <c>GET /api/v1/runbook-runs/{id}</c> only, <c>null</c> in lists.
/// </summary>
public sealed record RunbookRunResponse(
    Guid Id,
    string Runbook,
    int Version,
    RunbookRunStatus Status,
    string Phase,
    JsonElement Parameters,
    string RequestedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? CancelRequestedAt,
    string? Error,
    IReadOnlyList<string> Locks,
    WaitingOn? WaitingOn,
    IReadOnlyList<RunbookRunStepResponse> Steps,
    Guid? ApprovalId = null);

/// <summary>
/// One step of a run: <see cref="Phase"/> <c>main</c>, <c>rollback</c> or <c>finally</c>;
/// <see cref="Status"/> <c>pending</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c>,
/// <c>skipped</c> (never ran) or <c>cancelled</c>; the operation it created; its health gates (one
/// operation per batch).
/// </summary>
public sealed record RunbookRunStepResponse(
    string Name,
    string Phase,
    string Status,
    Guid? OperationId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    IReadOnlyList<HealthGateResponse> HealthGates);

/// <summary>A health gate run after batch <see cref="Batch"/> of a step: its operation and that operation's status.</summary>
public sealed record HealthGateResponse(int Batch, Guid OperationId, string? Status);
