namespace Ops.ControlPlane.Features.Agents;

/// <summary>An agent's connection state (DESIGN.md §7): seen within the offline window, silent, or revoked.</summary>
public enum AgentStatus
{
    Online,
    Offline,
    Revoked,
}
