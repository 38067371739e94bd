namespace Ops.ControlPlane.Features.Jobs;

/// <summary>
/// The sets of <see cref="JobStatus"/> (DESIGN.md §5), written once for C#. The SQL twins are the
/// functions <c>job_is_unfinished(status)</c> and <c>job_is_failure(status)</c> of migration
/// 0004; SQL uses those functions, never its own list.
/// </summary>
public static class JobStates
{
    /// <summary>States before a terminal one: pending_approval, waiting, queued, leased, running.</summary>
    public static IReadOnlySet<JobStatus> Unfinished { get; } = new HashSet<JobStatus>
    {
        JobStatus.PendingApproval, JobStatus.Waiting, JobStatus.Queued, JobStatus.Leased, JobStatus.Running,
    };

    /// <summary>Terminal states that count against an operation and a rollout's error budget.</summary>
    public static IReadOnlySet<JobStatus> Failures { get; } = new HashSet<JobStatus>
    {
        JobStatus.Failed, JobStatus.TimedOut, JobStatus.Lost, JobStatus.Skipped,
    };

    /// <summary>Whether <paramref name="status"/> is terminal.</summary>
    public static bool IsTerminal(JobStatus status) => !Unfinished.Contains(status);

    /// <summary>Whether the database text <paramref name="status"/> (<c>timed_out</c>) is an unfinished state.</summary>
    public static bool IsUnfinished(string status) => status is "pending_approval" or "waiting" or "queued" or "leased" or "running";
}
