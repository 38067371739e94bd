namespace Ops.ControlPlane.Features.Approvals;

/// <summary>The result of <see cref="ApprovalStore.DecideAsync"/>.</summary>
internal abstract record DecideOutcome
{
    private DecideOutcome()
    {
    }

    /// <summary>No approval with that id (404).</summary>
    public sealed record NotFound : DecideOutcome;

    /// <summary>The caller may not decide it (403): the requester, or a role too low for its risk.</summary>
    public sealed record Forbidden(string Detail) : DecideOutcome;

    /// <summary>It cannot be decided any more, or not again by this caller (409).</summary>
    public sealed record Conflict(string Title, string Detail) : DecideOutcome;

    /// <summary>The decision was recorded; <see cref="Approval"/> shows the approval after it.</summary>
    public sealed record Decided(ApprovalResponse Approval) : DecideOutcome;
}
