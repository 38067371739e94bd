using System.Text.Json;
using Ops.ControlPlane.Features.Jobs;
using Ops.ControlPlane.Features.Locks;

namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// An operation with its jobs (<see cref="Jobs"/> is empty in list pages, where
/// <see cref="JobCount"/> still counts them). <see cref="Status"/> is derived from the jobs.
/// <see cref="ApprovalId"/>: the approval guarding it (destructive kinds, DESIGN.md §14; for a
/// schedule's slot, the schedule's approval that covered it, §13), shown on the operation itself,
/// <c>null</c> in list pages and for work that needs none.
/// <see cref="Rollout"/> shows a rollout's progress, <see cref="Locks"/> the lock keys it holds or
/// waits for (explicit and implicit), <see cref="WaitingOn"/> the lock it waits for, if any;
/// <see cref="RunId"/> / <see cref="RunStep"/> the runbook run and step that created it.
/// </summary>
public sealed record OperationResponse(
    Guid Id,
    string Kind,
    JsonElement Parameters,
    OperationTarget Target,
    OperationStatus Status,
    int Priority,
    int TimeoutSeconds,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CancelRequestedAt,
    int JobCount,
    IReadOnlyList<JobResponse> Jobs,
    Guid? ApprovalId = null,
    RolloutProgress? Rollout = null,
    IReadOnlyList<string>? Locks = null,
    WaitingOn? WaitingOn = null,
    Guid? RunId = null,
    string? RunStep = null);
