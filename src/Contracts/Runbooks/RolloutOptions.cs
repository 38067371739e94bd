using System.Text.Json;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// How an operation's jobs are released (DESIGN.md §11), on <c>POST /api/v1/operations</c> and on
/// every runbook step: in batches of <see cref="BatchSize"/> targets, <see cref="BatchPauseSeconds"/>
/// apart, until more than <see cref="MaxErrors"/> jobs failed. Seed 004 §4.1's
/// <c>--update-parallelism 2 --update-delay 30s --update-failure-action rollback</c>.
/// </summary>
/// <param name="BatchSize">Targets per batch: an integer ≥ 1 or a percentage string <c>"25%"</c> of the targets (rounded up, at least 1). Required.</param>
/// <param name="BatchPauseSeconds">Seconds between the end of a batch (and its health gate) and the release of the next one, 0–86,400; default 0.</param>
/// <param name="MaxErrors">Failed, timed-out or lost jobs tolerated: an integer ≥ 0 or a percentage string of the targets (rounded down); default 0.</param>
public sealed record RolloutOptions(JsonElement? BatchSize = null, int? BatchPauseSeconds = null, JsonElement? MaxErrors = null);
