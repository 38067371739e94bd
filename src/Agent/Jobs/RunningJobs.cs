using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Jobs;

/// <summary>
/// The job attempts this agent holds, keyed by (job id, attempt): free slots for Pull, running
/// ids for Heartbeat, cancellation by id, and the shutdown drain. Thread-safe.
/// </summary>
internal sealed class RunningJobs(IOptions<AgentOptions> options, TimeProvider timeProvider)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string JobId, int Attempt), RunningJob> jobs = [];
    private readonly CancellationTokenSource hardStop = new();
    private CancellationTokenSource slotFreed = new();

    /// <summary>Number of attempts held (waiting for a slot, starting, running or reporting).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return jobs.Count;
            }
        }
    }

    /// <summary>
    /// Cancelled at the end of the shutdown grace period: gives up the remaining uplink retries
    /// (output, Complete) so the process can exit.
    /// </summary>
    public CancellationToken HardStop => hardStop.Token;

    /// <summary>
    /// The free slots (<c>MaxConcurrentJobs</c> − held) and a token cancelled the next time a slot
    /// frees up, read atomically so no release is missed.
    /// </summary>
    public (int FreeSlots, CancellationToken SlotFreed) Snapshot()
    {
        lock (gate)
        {
            return (Math.Max(0, options.Value.MaxConcurrentJobs - jobs.Count), slotFreed.Token);
        }
    }

    /// <summary>The distinct ids of the held jobs, for Heartbeat.</summary>
    public IReadOnlyList<string> JobIds()
    {
        lock (gate)
        {
            return jobs.Keys.Select(k => k.JobId).Distinct(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Registers an assignment; false when this attempt is already held (a duplicate delivery).</summary>
    public bool TryAdd(JobAssignment assignment, out RunningJob job)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        lock (gate)
        {
            if (jobs.ContainsKey((assignment.JobId, assignment.Attempt)))
            {
                job = null!;
                return false;
            }

            job = new RunningJob(assignment, timeProvider);
            jobs.Add((assignment.JobId, assignment.Attempt), job);
            return true;
        }
    }

    /// <summary>Forgets a finished attempt and signals the freed slot.</summary>
    public void Remove(RunningJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        CancellationTokenSource freed;
        lock (gate)
        {
            if (!jobs.Remove((job.JobId, job.Attempt)))
            {
                return;
            }

            freed = slotFreed;
            slotFreed = new CancellationTokenSource();
        }

        freed.Cancel();
        job.Dispose();
    }

    /// <summary>Cancels every held attempt of <paramref name="jobId"/>; returns how many.</summary>
    public int Cancel(string jobId, JobCancelReason reason)
    {
        List<RunningJob> matching;
        lock (gate)
        {
            matching = jobs.Values.Where(j => j.JobId == jobId).ToList();
        }

        foreach (var job in matching)
        {
            job.Cancel(reason);
        }

        return matching.Count;
    }

    /// <summary>Cancels every held job with <paramref name="reason"/> and returns their runner tasks.</summary>
    public IReadOnlyList<Task> CancelAll(JobCancelReason reason)
    {
        List<RunningJob> all;
        lock (gate)
        {
            all = [.. jobs.Values];
        }

        foreach (var job in all)
        {
            job.Cancel(reason);
        }

        return all.Select(j => j.Completion).ToList();
    }

    /// <summary>Cancels <see cref="HardStop"/>.</summary>
    public void StopHard() => hardStop.Cancel();
}
