using System.Collections.Concurrent;

namespace Ops.Benchmarks;

/// <summary>
/// The rendezvous between HTTP submitters and simulated agents in this process, keyed by
/// operation id (from the 202's <c>Location</c> on one side, <c>JobAssignment.operation_id</c> on
/// the other), so end-to-end latency is measured without polling the REST API.
/// </summary>
internal sealed class JobBoard
{
    private readonly ConcurrentDictionary<string, JobTimes> _jobs = new(StringComparer.Ordinal);

    /// <summary>The entry of <paramref name="operationId"/>, created by whichever side comes first.</summary>
    public JobTimes For(string operationId) => _jobs.GetOrAdd(operationId, static _ => new JobTimes());

    /// <summary>Drops an entry the submitter has read.</summary>
    public void Forget(string operationId) => _jobs.TryRemove(operationId, out _);
}
