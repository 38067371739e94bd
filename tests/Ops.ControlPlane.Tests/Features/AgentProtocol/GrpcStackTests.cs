using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// The agent port on the official gRPC stack (DESIGN.md §3): deadlines, cancellation, message
/// limits, unknown methods, health and reflection, and Pulls ending when the host stops.
/// </summary>
public sealed class GrpcStackTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    private async Task<string> SubmitPingAsync(string agentId)
    {
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind = "agent.ping",
            target = new { agentIds = new[] { Guid.Parse(agentId) } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("jobs")[0].GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Pull_WithADeadlineShorterThanItsWait_EndsWithDeadlineExceeded()
    {
        var (_, client) = await factory.EnrollAgentAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 }, DateTimeOffset.UtcNow.AddMilliseconds(300)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public async Task Pull_CancelledByTheClient_StopsOnTheServerAndLeasesNothing()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() =>
                client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 }, cancellationToken: cts.Token));
            Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        }

        // Had the cancelled Pull still waited on the server, it would lease this job for a caller that is gone.
        var jobId = await SubmitPingAsync(agentId);
        var pulled = await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 10_000 });

        Assert.Equal(jobId, Assert.Single(pulled.Jobs).JobId);
    }

    [Fact]
    public async Task AppendOutput_LargerThanTheMessageLimit_IsResourceExhausted()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var jobId = await SubmitPingAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        var chunk = new OutputChunk { Seq = 1, Stream = OutputStream.Stdout, Data = ByteString.CopyFrom(new byte[AgentChannels.MaxMessageBytes + 1]) };

        // The client refuses to send it; the server refuses it too when a client does not check.
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            client.AppendOutputAsync(new AppendOutputRequest { JobId = jobId, Attempt = job.Attempt, Chunks = { chunk } }));
        using var uncheckedChannel = GrpcChannel.ForAddress(factory.GrpcAddress, new GrpcChannelOptions { MaxSendMessageSize = null });
        var raw = new AgentService.AgentServiceClient(uncheckedChannel);
        var serverEx = await Assert.ThrowsAsync<RpcException>(() => raw.AppendOutputAsync(
            new AppendOutputRequest { JobId = jobId, Attempt = job.Attempt, Chunks = { chunk } },
            new Metadata { { "authorization", "Bearer " + client.AgentToken } }).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, serverEx.StatusCode);
    }

    [Fact]
    public async Task UnknownMethod_IsUnimplemented()
    {
        using var channel = GrpcChannel.ForAddress(factory.GrpcAddress);
        var marshaller = Marshallers.Create(r => r.ToByteArray(), EnrollRequest.Parser.ParseFrom);
        var method = new Method<EnrollRequest, EnrollRequest>(MethodType.Unary, "ops.agent.v1.AgentService", "Nope", marshaller, marshaller);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().AsyncUnaryCall(method, null, default, new EnrollRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task Calls_WithBadArgumentsAndNoToken_AreUnauthenticatedBeforeValidation()
    {
        using var anonymous = new AgentClient(factory.GrpcAddress);

        var start = await Assert.ThrowsAsync<RpcException>(() => anonymous.StartAsync(new StartRequest { JobId = "not-a-uuid" }));
        var pull = await Assert.ThrowsAsync<RpcException>(() => anonymous.PullAsync(new PullRequest { MaxJobs = -1 }));

        Assert.Equal(StatusCode.Unauthenticated, start.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, pull.StatusCode);
    }

    [Fact]
    public async Task Health_WithoutAgentToken_AnswersServing()
    {
        using var channel = GrpcChannel.ForAddress(factory.GrpcAddress);
        var health = new Health.HealthClient(channel);

        var overall = await health.CheckAsync(new HealthCheckRequest());
        var agentService = await health.CheckAsync(new HealthCheckRequest { Service = AgentService.Descriptor.FullName });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overall.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, agentService.Status);
    }

    [Fact]
    public async Task Reflection_WithoutAgentToken_ListsTheAgentService()
    {
        using var channel = GrpcChannel.ForAddress(factory.GrpcAddress);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("ops.agent.v1.AgentService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
