namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// What <see cref="RunbookRunStore.CreateRunAsync"/> did: <see cref="RunId"/> of the new (or, with
/// <see cref="Replayed"/>, the earlier) run, or why none was created: <see cref="NotFound"/> (no
/// such runbook or version), <see cref="ConflictingRunId"/> (the idempotency key was used with
/// another request), or <see cref="Errors"/> (400, by path: <c>parameters.version</c>).
/// </summary>
internal sealed record RunCreation(
    Guid? RunId,
    bool Replayed,
    bool NotFound,
    Guid? ConflictingRunId,
    IReadOnlyDictionary<string, string[]> Errors,
    bool RequiresApproval = false,
    bool Destructive = false);
