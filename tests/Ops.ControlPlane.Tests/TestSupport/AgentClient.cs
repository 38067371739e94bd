using Grpc.Core;
using Grpc.Net.Client;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// A test agent speaking to the control plane through the generated Grpc.Net.Client stub (the
/// same channel and token interceptor as the real agent: <see cref="AgentChannels"/>), with
/// Task-returning calls so tests can <c>Assert.ThrowsAsync&lt;RpcException&gt;</c>.
/// </summary>
/// <remarks>Also compiled into tests/Ops.Benchmarks (linked), whose simulated agents share channels.</remarks>
public sealed class AgentClient : IDisposable
{
    private readonly GrpcChannel? ownedChannel;
    private readonly AgentService.AgentServiceClient client;

    /// <summary>A client on a channel of its own to <paramref name="address"/>.</summary>
    public AgentClient(Uri address, string? agentToken = null, System.Net.Security.RemoteCertificateValidationCallback? certificates = null)
        : this(AgentChannels.Create(address, certificates), agentToken)
    {
        ownedChannel = Channel;
    }

    /// <summary>A client on a shared <paramref name="channel"/> (not disposed with the client).</summary>
    public AgentClient(GrpcChannel channel, string? agentToken = null)
    {
        Channel = channel;
        client = AgentChannels.Client(channel, () => AgentToken);
        AgentToken = agentToken;
    }

    /// <summary>The channel the calls go through.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The agent token sent on every call but Enroll.</summary>
    public string? AgentToken { get; set; }

    /// <summary>The generated client, for calls that need headers or a raw <see cref="AsyncUnaryCall{TResponse}"/>.</summary>
    public AgentService.AgentServiceClient Raw => client;

    public Task<EnrollResponse> EnrollAsync(EnrollRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        client.EnrollAsync(request, deadline: deadline?.UtcDateTime, cancellationToken: cancellationToken).ResponseAsync;

    public Task<PullResponse> PullAsync(PullRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        client.PullAsync(request, deadline: deadline?.UtcDateTime, cancellationToken: cancellationToken).ResponseAsync;

    public Task<StartResponse> StartAsync(StartRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        client.StartAsync(request, deadline: deadline?.UtcDateTime, cancellationToken: cancellationToken).ResponseAsync;

    public Task<AppendOutputResponse> AppendOutputAsync(AppendOutputRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        client.AppendOutputAsync(request, deadline: deadline?.UtcDateTime, cancellationToken: cancellationToken).ResponseAsync;

    public Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        client.HeartbeatAsync(request, deadline: deadline?.UtcDateTime, cancellationToken: cancellationToken).ResponseAsync;

    public Task<CompleteResponse> CompleteAsync(CompleteRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        client.CompleteAsync(request, deadline: deadline?.UtcDateTime, cancellationToken: cancellationToken).ResponseAsync;

    public void Dispose() => ownedChannel?.Dispose();
}
