namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>agent.ping</c>: none. The agent answers with
/// <c>{"agentVersion": "...", "time": "..."}</c> (Salt's <c>test.ping</c>).
/// </summary>
public sealed record AgentPingParameters;
