using System.Text.Json;

namespace Ops.ControlPlane.Features.Audit;

/// <summary>One audit record: who, what, on which resource, when, from where, under which trace id.</summary>
public sealed record AuditRecordResponse(
    long Id,
    DateTimeOffset At,
    string Actor,
    string? ActorRole,
    string Action,
    string ResourceType,
    string? ResourceId,
    string? ClientAddress,
    string? TraceId,
    JsonElement Details);
