using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>Log messages of approvals.</summary>
internal static partial class ApprovalsLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Expired {Count} approval(s) past their expiry")]
    public static partial void Expired(ILogger logger, int count);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Approval expiry step failed; retrying shortly")]
    public static partial void ExpiryFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Approval {ApprovalId} of {ResourceType} {ResourceId}: {Verdict} by {Actor}, now {Status}")]
    public static partial void Decided(ILogger logger, Guid approvalId, string resourceType, string resourceId, string verdict, string actor, string status);
}
