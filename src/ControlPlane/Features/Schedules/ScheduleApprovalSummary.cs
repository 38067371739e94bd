using Ops.ControlPlane.Features.Approvals;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// The approval of a schedule's current content as its response shows it (docs/schedules.md
/// "Approval"): the approval's id (<c>GET /api/v1/approvals/{id}</c> has the request, decisions and
/// expiry), its status (slots run only while it is <c>approved</c>) and its request hash.
/// </summary>
public sealed record ScheduleApprovalSummary(Guid Id, ApprovalStatus Status, string RequestHash);
