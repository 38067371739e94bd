namespace Ops.Agent.Jobs;

/// <summary>Why a running job's cancellation token fired; decides the reported outcome.</summary>
internal enum JobCancelReason
{
    /// <summary>The control plane cancelled it (Pull/Heartbeat <c>cancel_job_ids</c>, AppendOutput <c>cancel_requested</c>): CANCELLED.</summary>
    ControlPlane,

    /// <summary>The assignment's deadline passed: TIMED_OUT.</summary>
    Deadline,

    /// <summary>The agent is shutting down: CANCELLED.</summary>
    Shutdown,

    /// <summary>The control plane no longer knows this attempt (FAILED_PRECONDITION / NOT_FOUND): dropped without Complete.</summary>
    Abandoned,
}
