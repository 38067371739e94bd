namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>The authenticated agent of an RPC.</summary>
internal sealed record AgentIdentity(Guid AgentId, string Hostname);
