using Ops.Contracts.Runbooks;

namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// An operation's rollout (DESIGN.md §11): as requested, as resolved for its targets
/// (<see cref="BatchSize"/>, <see cref="MaxErrors"/>), and its progress: the last released
/// <see cref="Batch"/> of <see cref="Batches"/>, the jobs <see cref="Released"/> so far, the
/// <see cref="Failed"/> ones (failed, timed out, lost) counted against the budget, when the next
/// batch is due after its pause, and why the release stopped, if it did.
/// </summary>
public sealed record RolloutProgress(
    RolloutOptions? Requested,
    int BatchSize,
    int BatchPauseSeconds,
    int MaxErrors,
    int Batch,
    int Batches,
    int Released,
    int Failed,
    DateTimeOffset? NextBatchAt,
    string? StoppedReason);
