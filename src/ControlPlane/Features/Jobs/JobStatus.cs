namespace Ops.ControlPlane.Features.Jobs;

/// <summary>
/// A job's state (DESIGN.md §5), lower snake case on the API and in the database:
/// <c>pending_approval</c> → <c>waiting</c> → <c>queued</c> → <c>leased</c> → <c>running</c> →
/// one terminal state. The sets of states are in <see cref="JobStates"/>.
/// </summary>
public enum JobStatus
{
    /// <summary>Held until its approval is complete (DESIGN.md §14).</summary>
    PendingApproval,

    /// <summary>Accepted but held back by its operation's rollout or a lock (DESIGN.md §11).</summary>
    Waiting,

    /// <summary>Ready for its agent's next Pull.</summary>
    Queued,

    /// <summary>Handed to the agent, not yet started.</summary>
    Leased,

    /// <summary>Started by the agent.</summary>
    Running,

    /// <summary>Terminal: the agent reported success.</summary>
    Succeeded,

    /// <summary>Terminal: the agent reported failure.</summary>
    Failed,

    /// <summary>Terminal: cancelled before or while running.</summary>
    Cancelled,

    /// <summary>Terminal: the deadline passed.</summary>
    TimedOut,

    /// <summary>Terminal: its agent stopped heart-beating while it ran.</summary>
    Lost,

    /// <summary>Terminal: never released (error budget spent, lock wait timed out, gate failed).</summary>
    Skipped,
}
