using Google.Protobuf;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;

namespace Ops.Contracts.Agent;

/// <summary>
/// Typed client of <c>ops.agent.v1.AgentService</c> (DESIGN.md §4) over a <see cref="GrpcChannel"/>.
/// Every method performs one unary call and throws <see cref="RpcException"/> for a non-OK status
/// (e.g. UNAUTHENTICATED, FAILED_PRECONDITION, DEADLINE_EXCEEDED, UNAVAILABLE).
/// </summary>
public sealed class AgentServiceClient
{
    private readonly GrpcChannel channel;

    /// <summary>Creates a client; the channel is shared, not owned.</summary>
    /// <param name="channel">The channel to the control plane.</param>
    public AgentServiceClient(GrpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        this.channel = channel;
    }

    /// <summary>
    /// The agent token; when set, every call carries <c>authorization: Bearer &lt;token&gt;</c>
    /// (DESIGN.md §4: all calls except Enroll need it).
    /// </summary>
    public string? AgentToken { get; set; }

    /// <summary>Enroll: exchanges an enrollment token for an agent identity.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">Optional absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<EnrollResponse> EnrollAsync(EnrollRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        CallAsync(AgentServiceMethods.Enroll, request, EnrollResponse.Parser, deadline, cancellationToken);

    /// <summary>Pull: leases queued jobs, long-polling up to <c>wait_ms</c> (capped at 30 s by the server).</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">Optional absolute deadline; allow more than <c>wait_ms</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<PullResponse> PullAsync(PullRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        CallAsync(AgentServiceMethods.Pull, request, PullResponse.Parser, deadline, cancellationToken);

    /// <summary>Start: moves a leased job to running.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">Optional absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<StartResponse> StartAsync(StartRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        CallAsync(AgentServiceMethods.Start, request, StartResponse.Parser, deadline, cancellationToken);

    /// <summary>AppendOutput: stores output chunks.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">Optional absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<AppendOutputResponse> AppendOutputAsync(AppendOutputRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        CallAsync(AgentServiceMethods.AppendOutput, request, AppendOutputResponse.Parser, deadline, cancellationToken);

    /// <summary>Heartbeat: marks the agent online and carries a telemetry sample.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">Optional absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        CallAsync(AgentServiceMethods.Heartbeat, request, HeartbeatResponse.Parser, deadline, cancellationToken);

    /// <summary>Complete: reports the terminal state of a job attempt.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">Optional absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<CompleteResponse> CompleteAsync(CompleteRequest request, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default) =>
        CallAsync(AgentServiceMethods.Complete, request, CompleteResponse.Parser, deadline, cancellationToken);

    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        string path,
        TRequest request,
        MessageParser<TResponse> parser,
        DateTimeOffset? deadline,
        CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        Metadata? headers = null;
        if (AgentToken is { Length: > 0 } token)
        {
            headers = new Metadata { { "authorization", "Bearer " + token } };
        }

        var response = await channel
            .CallUnaryAsync(path, request, parser, new CallOptions(headers, deadline, cancellationToken))
            .ConfigureAwait(false);
        return response.Message;
    }
}
