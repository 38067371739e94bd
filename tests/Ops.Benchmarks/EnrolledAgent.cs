using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.Benchmarks;

/// <summary>A simulated agent's identity: its id on the control plane and a client carrying its agent token.</summary>
/// <param name="Id">The agent id returned by <c>Enroll</c>.</param>
/// <param name="Client">A client on the agent's channel with <see cref="AgentClient.AgentToken"/> set.</param>
/// <param name="PostBody">A pre-serialized <c>POST /api/v1/operations</c> body: <c>agent.ping</c> targeted at this agent.</param>
internal sealed record EnrolledAgent(string Id, AgentClient Client, byte[] PostBody);
