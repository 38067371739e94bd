namespace Ops.Agent.Identity;

/// <summary>
/// The agent's identity, stored as <c>&lt;StateDirectory&gt;/identity.json</c> (mode 0600):
/// <c>{"agentId": "...", "agentToken": "...", "controlPlaneUrl": "..."}</c>. The token is the
/// secret issued once by Enroll (DESIGN.md §4, §9).
/// </summary>
/// <param name="AgentId">The id the control plane assigned.</param>
/// <param name="AgentToken">The bearer token for every call but Enroll.</param>
/// <param name="ControlPlaneUrl">The control plane that issued the identity.</param>
internal sealed record AgentIdentity(string AgentId, string AgentToken, string ControlPlaneUrl);
