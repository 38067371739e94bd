using Google.Protobuf.WellKnownTypes;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;

namespace Ops.Contracts.Tests.Grpc.Interop;

/// <summary>Interop direction (b): our <see cref="GrpcChannel"/> / <see cref="AgentServiceClient"/> against @grpc/grpc-js.</summary>
public sealed class GrpcJsServerInteropTests(GrpcJsServerFixture fixture) : IClassFixture<GrpcJsServerFixture>
{
    private const int MiB = 1024 * 1024;

    public static TheoryData<int> ErrorCodes() => new(Enumerable.Range(1, 16));

    private AgentServiceClient Client => new(fixture.Channel);

    [Fact]
    public async Task Enroll_AgainstGrpcJs_ReturnsResponseAndMetadataBothWays()
    {
        var headers = new Metadata { { "x-echo", "from-dotnet" }, { "x-data-bin", new byte[] { 0, 1, 2, 255 } } };

        var response = await fixture.Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "ok", Hostname = "h1" },
            EnrollResponse.Parser,
            new CallOptions(headers, DateTimeOffset.UtcNow.AddSeconds(30)));

        Assert.Equal("agent-h1", response.Message.AgentId);
        Assert.Equal(1, response.Message.HeartbeatIntervalMs);
        Assert.Equal("from-dotnet", response.ResponseHeaders.Get("x-echo"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, response.ResponseHeaders.GetBytes("x-data-bin"));
        Assert.Equal("from-dotnet", response.Trailers.Get("x-echo-trailer"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, response.Trailers.GetBytes("x-data-trailer-bin"));
    }

    [Fact]
    public async Task AgentServiceClient_AgainstGrpcJs_SendsTokenAndCallsEveryMethod()
    {
        var client = new AgentServiceClient(fixture.Channel) { AgentToken = "tok-1" };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);

        var enroll = await client.EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = "h" }, deadline);
        var start = await client.StartAsync(new StartRequest { JobId = "j1", Attempt = 1 }, deadline);
        var append = await client.AppendOutputAsync(
            new AppendOutputRequest { JobId = "j1", Attempt = 1, Chunks = { new OutputChunk { Seq = 1, Stream = OutputStream.Stdout, Data = Google.Protobuf.ByteString.CopyFromUtf8("hi") } } },
            deadline);
        var heartbeat = await client.HeartbeatAsync(new HeartbeatRequest { RunningJobIds = { "j1", "j2" } }, deadline);
        var complete = await client.CompleteAsync(
            new CompleteRequest { JobId = "j1", Attempt = 1, Outcome = JobOutcome.Succeeded, FinishedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) },
            deadline);
        var pull = await client.PullAsync(new PullRequest { MaxJobs = 1 }, deadline);

        Assert.Equal("Bearer tok-1", enroll.AgentToken);
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
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.EnrollAsync(new EnrollRequest { EnrollmentToken = $"status:{code}" }));

        Assert.Equal((StatusCode)code, ex.StatusCode);
        Assert.Equal($"Fehler ü ✓ 100% sicher: status {code}", ex.Detail);
        Assert.Equal("yes", ex.Trailers.Get("x-error"));
    }

    [Fact]
    public async Task Enroll_WhenDeadlinePasses_ThrowsDeadlineExceededAndGrpcJsSeesTheCancellation()
    {
        var id = Guid.NewGuid().ToString("N");

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.EnrollAsync(new EnrollRequest { EnrollmentToken = $"sleep:20000:{id}" }, DateTimeOffset.UtcNow.AddMilliseconds(300)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(await EventuallyAsync(() => WasCancelledAsync(id)), "grpc-js never saw the call cancelled");
    }

    [Fact]
    public async Task Enroll_WhenTokenIsCancelled_ThrowsCancelledAndGrpcJsSeesTheCancellation()
    {
        var id = Guid.NewGuid().ToString("N");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.EnrollAsync(new EnrollRequest { EnrollmentToken = $"sleep:20000:{id}" }, cancellationToken: cts.Token));

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(await EventuallyAsync(() => WasCancelledAsync(id)), "grpc-js never saw the call cancelled");
    }

    [Fact]
    public async Task Pull_WithThreeMiBResponse_Succeeds()
    {
        var response = await Client.PullAsync(new PullRequest { MaxJobs = 3 });

        Assert.Equal(3 * MiB, response.Jobs.Single().ParametersJson.Length);
    }

    [Fact]
    public async Task Pull_WithFiveMiBResponse_ThrowsResourceExhausted()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.PullAsync(new PullRequest { MaxJobs = 5 }));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Enroll_WithThreeMiBRequest_Succeeds()
    {
        var response = await Client.EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = new string('h', 3 * MiB) });

        Assert.Equal(3 * MiB + "agent-".Length, response.AgentId.Length);
    }

    [Fact]
    public async Task Call_ToMethodUnknownToGrpcJs_ThrowsUnimplemented()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            fixture.Channel.CallUnaryAsync("/ops.agent.v1.AgentService/Nope", new EnrollRequest(), EnrollResponse.Parser));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    private async Task<bool> WasCancelledAsync(string id) =>
        (await Client.StartAsync(new StartRequest { JobId = "cancelled?" + id })).Proceed;

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
