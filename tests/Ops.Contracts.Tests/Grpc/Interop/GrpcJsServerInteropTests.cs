using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;

namespace Ops.Contracts.Tests.Grpc.Interop;

/// <summary>
/// Interop direction (b): the agent's client (Grpc.Net.Client through <see cref="AgentChannels"/>,
/// the generated <see cref="AgentService.AgentServiceClient"/> and <see cref="AgentTokenInterceptor"/>)
/// against an independent server, @grpc/grpc-js (tests/interop/server.js).
/// </summary>
public sealed class GrpcJsServerInteropTests(GrpcJsServerFixture fixture) : IClassFixture<GrpcJsServerFixture>
{
    private const int MiB = 1024 * 1024;

    public static TheoryData<int> ErrorCodes() => new(Enumerable.Range(1, 16));

    private AgentService.AgentServiceClient Client(string? token = null) => AgentChannels.Client(fixture.Channel, () => token);

    [Fact]
    public async Task Enroll_AgainstGrpcJs_ReturnsResponseAndMetadataBothWays()
    {
        var headers = new Metadata { { "x-echo", "from-dotnet" }, { "x-data-bin", new byte[] { 0, 1, 2, 255 } } };

        using var call = Client().EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = "h1" }, headers, DateTime.UtcNow.AddSeconds(30));
        var response = await call.ResponseAsync;
        var responseHeaders = await call.ResponseHeadersAsync;
        var trailers = call.GetTrailers();

        Assert.Equal("agent-h1", response.AgentId);
        Assert.Equal(1, response.HeartbeatIntervalMs);
        Assert.Equal("from-dotnet", responseHeaders.GetValue("x-echo"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, responseHeaders.GetValueBytes("x-data-bin"));
        Assert.Equal("from-dotnet", trailers.GetValue("x-echo-trailer"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, trailers.GetValueBytes("x-data-trailer-bin"));
    }

    [Fact]
    public async Task AgentClient_AgainstGrpcJs_SendsTheTokenOnEveryCallButEnrollAndCallsEveryMethod()
    {
        var client = Client("tok-1");
        var deadline = DateTime.UtcNow.AddSeconds(30);

        var enroll = await client.EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = "h" }, deadline: deadline);
        var start = await client.StartAsync(new StartRequest { JobId = "j1", Attempt = 1 }, deadline: deadline);
        var append = await client.AppendOutputAsync(
            new AppendOutputRequest { JobId = "j1", Attempt = 1, Chunks = { new OutputChunk { Seq = 1, Stream = OutputStream.Stdout, Data = Google.Protobuf.ByteString.CopyFromUtf8("hi") } } },
            deadline: deadline);
        var heartbeat = await client.HeartbeatAsync(new HeartbeatRequest { RunningJobIds = { "j1", "j2" } }, deadline: deadline);
        var complete = await client.CompleteAsync(
            new CompleteRequest { JobId = "j1", Attempt = 1, Outcome = JobOutcome.Succeeded, FinishedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) },
            deadline: deadline);
        var pull = await client.PullAsync(new PullRequest { MaxJobs = 1 }, deadline: deadline);

        Assert.Equal(string.Empty, enroll.AgentToken);
        Assert.True(start.Proceed);
        Assert.True(append.CancelRequested);
        Assert.Equal(["j1", "j2"], heartbeat.CancelJobIds);
        Assert.Equal(15000, heartbeat.HeartbeatIntervalMs);
        Assert.True(complete.Accepted);
        Assert.Empty(pull.Jobs);
    }

    [Theory]
    [MemberData(nameof(ErrorCodes))]
    public async Task Enroll_WhenGrpcJsFails_ThrowsRpcExceptionWithItsStatusAndNonAsciiMessage(int code)
    {
        using var call = Client().EnrollAsync(new EnrollRequest { EnrollmentToken = $"status:{code}" });
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal((StatusCode)code, ex.StatusCode);
        Assert.Equal($"Fehler ü ✓ 100% sicher: status {code}", ex.Status.Detail);
        Assert.Equal("yes", ex.Trailers.GetValue("x-error"));
    }

    [Fact]
    public async Task Enroll_WhenDeadlinePasses_ThrowsDeadlineExceededAndGrpcJsSeesTheCancellation()
    {
        var id = Guid.NewGuid().ToString("N");

        using var call = Client().EnrollAsync(new EnrollRequest { EnrollmentToken = $"sleep:20000:{id}" }, deadline: DateTime.UtcNow.AddMilliseconds(300));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(await EventuallyAsync(() => WasCancelledAsync(id)), "grpc-js never saw the call cancelled");
    }

    [Fact]
    public async Task Enroll_WhenTokenIsCancelled_ThrowsCancelledAndGrpcJsSeesTheCancellation()
    {
        var id = Guid.NewGuid().ToString("N");
        using var cts = new CancellationTokenSource();

        using var call = Client().EnrollAsync(new EnrollRequest { EnrollmentToken = $"sleep:20000:{id}" }, cancellationToken: cts.Token);
        // Cancel once grpc-js holds the call (on a busy machine it may arrive late), so the cancellation is what it sees.
        Assert.True(await EventuallyAsync(async () => (await Client().StartAsync(new StartRequest { JobId = "started?" + id })).Proceed), "the call never reached grpc-js");
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(await EventuallyAsync(() => WasCancelledAsync(id)), "grpc-js never saw the call cancelled");
    }

    [Fact]
    public async Task Pull_WithThreeMiBResponse_Succeeds()
    {
        var response = await Client().PullAsync(new PullRequest { MaxJobs = 3 });

        Assert.Equal(3 * MiB, response.Jobs.Single().ParametersJson.Length);
    }

    [Fact]
    public async Task Pull_WithFiveMiBResponse_ThrowsResourceExhausted()
    {
        using var call = Client().PullAsync(new PullRequest { MaxJobs = 5 });
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Enroll_WithThreeMiBRequest_Succeeds()
    {
        var response = await Client().EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = new string('h', 3 * MiB) });

        Assert.Equal(3 * MiB + "agent-".Length, response.AgentId.Length);
    }

    [Fact]
    public async Task Call_ToMethodUnknownToGrpcJs_ThrowsUnimplemented()
    {
        var marshaller = Marshallers.Create<EnrollRequest>(r => Google.Protobuf.MessageExtensions.ToByteArray(r), EnrollRequest.Parser.ParseFrom);
        var method = new Method<EnrollRequest, EnrollRequest>(MethodType.Unary, "ops.agent.v1.AgentService", "Nope", marshaller, marshaller);

        using var call = fixture.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, default, new EnrollRequest());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    private async Task<bool> WasCancelledAsync(string id) =>
        (await Client().StartAsync(new StartRequest { JobId = "cancelled?" + id })).Proceed;

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(10);
        while (DateTimeOffset.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
