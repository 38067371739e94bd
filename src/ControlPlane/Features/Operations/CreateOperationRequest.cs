using System.Text.Json;
using Ops.Contracts.Runbooks;

namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// Body of <c>POST /api/v1/operations</c> (DESIGN.md §7).
/// </summary>
/// <param name="Kind">An operation kind of <c>GET /api/v1/operation-kinds</c>, e.g. <c>host.disk</c>.</param>
/// <param name="Parameters">The kind's parameters as a JSON object, validated against its schema; omit for none.</param>
/// <param name="Target">Which agents run it.</param>
/// <param name="TimeoutSeconds">Deadline from submission, 1–86,400 s; default: the kind's timeout.</param>
/// <param name="Priority">0–100, higher first; default 50.</param>
/// <param name="Rollout">Release the jobs in batches (DESIGN.md §11); omit to release them all at once.</param>
/// <param name="Locks">Lock keys (<c>pg:demo</c>) the operation holds until it ends; it waits while another unfinished operation or run holds one (DESIGN.md §11).</param>
/// <param name="LockTimeoutSeconds">How long it may wait for its locks, 1–604,800 s; default 3600; then its jobs end <c>skipped</c>.</param>
public sealed record CreateOperationRequest(
    string? Kind,
    JsonElement? Parameters,
    OperationTarget? Target,
    int? TimeoutSeconds = null,
    int? Priority = null,
    RolloutOptions? Rollout = null,
    IReadOnlyList<string>? Locks = null,
    int? LockTimeoutSeconds = null);
