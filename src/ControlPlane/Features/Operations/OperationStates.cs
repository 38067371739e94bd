namespace Ops.ControlPlane.Features.Operations;

/// <summary>The sets of <see cref="OperationStatus"/>; SQL twin: <c>operation_is_terminal(status)</c> (migration 0004).</summary>
public static class OperationStates
{
    /// <summary>States an operation never leaves.</summary>
    public static IReadOnlySet<OperationStatus> Terminal { get; } = new HashSet<OperationStatus>
    {
        OperationStatus.Succeeded, OperationStatus.Failed, OperationStatus.Cancelled, OperationStatus.TimedOut,
        OperationStatus.Rejected, OperationStatus.Expired,
    };
}
