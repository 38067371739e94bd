using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Jobs;

/// <summary>
/// One job: an operation on one agent (DESIGN.md §7). <see cref="Result"/> is the kind's small
/// JSON outcome; <see cref="Error"/> a one-line reason when it failed; times are UTC.
/// <see cref="DeadlineAt"/> is <c>null</c> while the job is <c>waiting</c>: its deadline starts
/// when its rollout batch or lock releases it. <see cref="Batch"/> is its rollout batch (1-based).
/// </summary>
public sealed record JobResponse(
    Guid Id,
    Guid OperationId,
    Guid AgentId,
    string Kind,
    JobStatus Status,
    int Attempt,
    int Priority,
    int? ExitCode,
    JsonElement? Result,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeadlineAt,
    DateTimeOffset? LeasedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? CancelRequestedAt,
    long OutputBytes,
    bool OutputTruncated,
    int? Batch = null)
{
    internal static JobResponse From(JobRow row) => new(
        row.Id,
        row.OperationId,
        row.AgentId,
        row.Kind,
        DbEnum.Parse<JobStatus>(row.Status),
        row.Attempt,
        row.Priority,
        row.ExitCode,
        row.Result is null ? null : DbJson.Parse(row.Result),
        row.Error,
        DbTime.Utc(row.CreatedAt),
        DbTime.Utc(row.DeadlineAt),
        DbTime.Utc(row.LeasedAt),
        DbTime.Utc(row.StartedAt),
        DbTime.Utc(row.FinishedAt),
        DbTime.Utc(row.CancelRequestedAt),
        row.OutputBytes,
        row.OutputTruncated,
        row.Batch);

}
