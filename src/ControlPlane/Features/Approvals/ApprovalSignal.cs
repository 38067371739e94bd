using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// Wakes the expiry step (<see cref="ApprovalExpiryService"/>) when an approval is requested on any
/// replica: <c>NOTIFY ops_approvals, '&lt;approval id&gt;'</c> is sent in the request's transaction.
/// </summary>
internal sealed class ApprovalSignal : BroadcastSignal;
