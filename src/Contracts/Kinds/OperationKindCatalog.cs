using System.Diagnostics.CodeAnalysis;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Contracts.Kinds;

/// <summary>
/// The operation kinds this version of Ops knows (DESIGN.md §6), keyed by exact name. Shared by
/// the control plane (submit-time validation, <c>GET /api/v1/operation-kinds</c>) and the agent
/// (run-time validation, capabilities).
/// </summary>
public static class OperationKindCatalog
{
    /// <summary>Connectivity check: the agent answers with its version and clock (Salt <c>test.ping</c>).</summary>
    public static OperationKind AgentPing { get; } = new(
        "agent.ping",
        "Checks that the agent is connected and executing: returns its version and clock.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(30),
        RetrySafe: true,
        typeof(AgentPingParameters),
        new AgentPingParametersValidator(),
        "connectivity check (Salt test.ping)");

    /// <summary>Disk usage of the host's file systems with free-space thresholds (seed 000 <c>df -h</c>, "&lt; 10 GB" alert).</summary>
    public static OperationKind HostDisk { get; } = new(
        "host.disk",
        "Reports total, used and free space of the host's file systems and fails below the given thresholds.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(HostDiskParameters),
        new HostDiskParametersValidator(),
        "df -h, \"disk < 10 GB\" alert (seed 000)");

    private static readonly Dictionary<string, OperationKind> ByName =
        new[] { AgentPing, HostDisk }.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>Every kind, ordered by name.</summary>
    public static IReadOnlyList<OperationKind> All { get; } = ByName.Values.OrderBy(k => k.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Looks a kind up by its exact (case-sensitive) name.</summary>
    public static bool TryGet(string? name, [NotNullWhen(true)] out OperationKind? kind)
    {
        if (name is null)
        {
            kind = null;
            return false;
        }

        return ByName.TryGetValue(name, out kind);
    }
}
