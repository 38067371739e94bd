using System.Text.Json;
using Ops.Contracts.Kinds;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// One approval (DESIGN.md §14): the guarded resource (<see cref="ResourceType"/> <c>operation</c>,
/// <c>runbook_run</c> or <c>schedule</c>, and its id), <see cref="Request"/> exactly as it will run
/// (for an operation: kind, parameters, the target as asked, the resolved agents with hostnames,
/// timeout, priority) in canonical JSON, <see cref="RequestHash"/> (lowercase hex SHA-256 of that
/// canonical text, docs/approvals.md), who asked, how many distinct approvals it needs, when it
/// expires, and every decision so far, oldest first.
/// </summary>
public sealed record ApprovalResponse(
    Guid Id,
    string ResourceType,
    string ResourceId,
    ApprovalStatus Status,
    OperationRisk Risk,
    JsonElement Request,
    string RequestHash,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    int MinApprovals,
    int Approvals,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    IReadOnlyList<ApprovalDecisionResponse> Decisions);
