namespace Ops.Agent.Executors;

/// <summary>What an executor gets about the job it runs.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="OperationId">The operation the job belongs to.</param>
/// <param name="Kind">The kind name.</param>
/// <param name="Attempt">The delivery attempt (1-based).</param>
/// <param name="Parameters">The bound, validated parameter record (e.g. <c>HostDiskParameters</c>).</param>
/// <param name="Output">The output sink.</param>
/// <param name="Deadline">When the job times out, if it has a deadline.</param>
internal sealed record JobContext(
    string JobId,
    string OperationId,
    string Kind,
    int Attempt,
    object Parameters,
    IJobOutput Output,
    DateTimeOffset? Deadline);
