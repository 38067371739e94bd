namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>The sets of <see cref="RunbookRunStatus"/>; SQL twin: <c>runbook_run_is_terminal(status)</c> (migration 0011).</summary>
public static class RunbookRunStates
{
    /// <summary>States a run never leaves.</summary>
    public static IReadOnlySet<RunbookRunStatus> Terminal { get; } = new HashSet<RunbookRunStatus>
    {
        RunbookRunStatus.Succeeded, RunbookRunStatus.Failed, RunbookRunStatus.RolledBack, RunbookRunStatus.Cancelled,
        RunbookRunStatus.Rejected, RunbookRunStatus.Expired,
    };
}
