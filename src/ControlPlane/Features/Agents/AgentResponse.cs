using System.Text.Json;

namespace Ops.ControlPlane.Features.Agents;

/// <summary>
/// An agent in the inventory (DESIGN.md §7): identity, labels, host facts, the kinds its policy
/// enables (<see cref="Capabilities"/>), version, connection status and the latest telemetry
/// sample (<see cref="Stats"/>).
/// </summary>
public sealed record AgentResponse(
    Guid Id,
    string Hostname,
    IReadOnlyDictionary<string, string> Labels,
    JsonElement? Facts,
    IReadOnlyList<string> Capabilities,
    string AgentVersion,
    AgentStatus Status,
    DateTimeOffset EnrolledAt,
    DateTimeOffset? LastSeenAt,
    DateTimeOffset? RevokedAt,
    JsonElement? Stats);
