namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// The guarded side of an approval, one implementation per <see cref="ResourceType"/>
/// (<c>operation</c>: <see cref="OperationApprovalTarget"/>; <c>runbook_run</c> and <c>schedule</c>
/// by their features). <see cref="ApprovalStore"/> calls it inside the transaction that changes the
/// approval's status, with the approval row locked, so the approval and the resource change
/// together or not at all. Implementations write only through
/// <see cref="ApprovalTransition.Connection"/> and <see cref="ApprovalTransition.Transaction"/>, never
/// commit, and put in-process wake-ups in <see cref="ApprovalTransition.AfterCommit"/>.
/// Register as a singleton <see cref="IApprovalTarget"/>.
/// </summary>
internal interface IApprovalTarget
{
    /// <summary>The <c>resource_type</c> this target guards, e.g. <c>operation</c>.</summary>
    string ResourceType { get; }

    /// <summary>The last needed approval is in: let the resource proceed exactly as it was hashed (e.g. an operation's frozen jobs become queued).</summary>
    Task ReleaseAsync(ApprovalTransition transition, CancellationToken cancellationToken);

    /// <summary>Someone rejected it: end the resource <c>rejected</c> without running anything.</summary>
    Task RejectAsync(ApprovalTransition transition, CancellationToken cancellationToken);

    /// <summary>The approval's <c>expiresAt</c> passed with too few approvals: end the resource <c>expired</c> without running anything.</summary>
    Task ExpireAsync(ApprovalTransition transition, CancellationToken cancellationToken);
}
