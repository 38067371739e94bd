namespace Ops.ControlPlane.Infrastructure.Audit;

/// <summary>
/// One audit record (DESIGN.md §9): who (<paramref name="Actor"/>, <paramref name="ActorRole"/>),
/// what (<paramref name="Action"/>, e.g. <c>operation.create</c>), on which resource, from
/// where, under which trace, with small JSON <paramref name="Details"/>.
/// </summary>
internal sealed record AuditEntry(
    string Actor,
    string? ActorRole,
    string Action,
    string ResourceType,
    string? ResourceId,
    string? ClientAddress,
    string? TraceId,
    object? Details = null);
