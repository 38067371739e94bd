using System.Net;
using System.Net.Sockets;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;
using Ops.Contracts.Tests.Grpc.Infrastructure;

namespace Ops.Contracts.Tests.Grpc;

/// <summary>Our <see cref="GrpcChannel"/> against our server (MapGrpcService on real Kestrel, h2c).</summary>
public sealed class GrpcClientServerTests(AgentServerFixture fixture) : IClassFixture<AgentServerFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private GrpcChannel Channel => fixture.Channel;

    public static TheoryData<int> ErrorCodes() => new(Enumerable.Range(1, 16));

    [Fact]
    public async Task Call_WhenHandlerSucceeds_ReturnsMessageAndMetadataBothWays()
    {
        var headers = new Metadata
        {
            { "x-echo", "hello" },
            { "x-echo", "world" },
            { "x-data-bin", new byte[] { 0, 1, 2, 253, 254, 255 } },
            { "x-data-bin", new byte[] { 42 } },
        };

        var response = await Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "ok", Hostname = "web-1" },
            EnrollResponse.Parser,
            new CallOptions(headers));

        Assert.Equal("agent-web-1", response.Message.AgentId);

        // HttpClient joins duplicate request headers with ", " (PROTOCOL-HTTP2.md: semantically equivalent).
        Assert.Equal("hello, world", string.Join(", ", response.ResponseHeaders.GetAll("x-echo").Select(e => e.Value)));
        Assert.Equal("hello, world", string.Join(", ", response.Trailers.GetAll("x-echo-trailer").Select(e => e.Value)));

        // Binary values are split on "," before base64 decoding, so duplicates survive as separate entries.
        byte[][] expectedBinary = [[0, 1, 2, 253, 254, 255], [42]];
        Assert.Equal(expectedBinary, response.ResponseHeaders.GetAll("x-data-bin").Select(e => e.ValueBytes));
        Assert.Equal(expectedBinary, response.Trailers.GetAll("x-data-trailer-bin").Select(e => e.ValueBytes));
        Assert.Null(response.Trailers.Get("grpc-status-details"));
        Assert.DoesNotContain(response.Trailers, e => e.Key.StartsWith("grpc-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Call_ServerCallContext_ExposesMethodPeerAndOnlyCustomRequestHeaders()
    {
        var response = await Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "ok" },
            EnrollResponse.Parser,
            new CallOptions(new Metadata { { "authorization", "Bearer t0k" }, { "x-custom", "1" } }));

        Assert.Equal("/ops.agent.v1.AgentService/Enroll", response.ResponseHeaders.Get("x-method"));
        Assert.StartsWith("ipv4:127.0.0.1:", response.ResponseHeaders.Get("x-peer"), StringComparison.Ordinal);
        var keys = response.ResponseHeaders.Get("x-request-keys")!.Split(',');
        Assert.Equal(["authorization", "x-custom"], keys.Order());
        Assert.Equal("Bearer t0k", response.Message.AgentToken);
        Assert.Equal(0, response.Message.HeartbeatIntervalMs);
    }

    [Fact]
    public async Task Call_WithDeadline_SendsGrpcTimeoutThatTheServerSeesAsDeadline()
    {
        var response = await Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "ok" },
            EnrollResponse.Parser,
            new CallOptions(Deadline: DateTimeOffset.UtcNow.AddMinutes(5)));

        Assert.InRange(response.Message.HeartbeatIntervalMs, 200_000, 301_000);
    }

    [Theory]
    [MemberData(nameof(ErrorCodes))]
    public async Task Call_WhenServerThrowsStatus_ThrowsRpcExceptionWithSameStatusDetailAndTrailers(int code)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = $"status:{code}" },
            EnrollResponse.Parser));

        Assert.Equal((StatusCode)code, ex.StatusCode);
        Assert.Equal(TestAgentService.StatusMessage((StatusCode)code), ex.Detail);
        Assert.Equal("yes", ex.Trailers.Get("x-error"));
        Assert.Equal("kept", ex.Trailers.Get("x-context-trailer"));
    }

    [Fact]
    public async Task Call_WhenServerThrowsNotFound_ThrowsRpcExceptionWithNotFound()
    {
        var client = new AgentServiceClient(Channel);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(new EnrollRequest { EnrollmentToken = "status:5" }));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenHandlerThrowsUnexpectedException_ThrowsUnknownWithoutLeakingTheExceptionText()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "throw" },
            EnrollResponse.Parser));

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_WhenDeadlinePassesDuringHandler_ThrowsDeadlineExceededAndCancelsTheHandler()
    {
        var id = Guid.NewGuid().ToString("N");

        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = $"sleep:30000:{id}" },
            EnrollResponse.Parser,
            new CallOptions(Deadline: DateTimeOffset.UtcNow.AddMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(await fixture.Service.WhenSleeperEnds(id).WaitAsync(Generous), "the handler's token was not cancelled");
    }

    [Fact]
    public async Task Call_WhenDeadlineAlreadyPassed_ThrowsDeadlineExceededWithoutCalling()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "ok" },
            EnrollResponse.Parser,
            new CallOptions(Deadline: DateTimeOffset.UtcNow.AddSeconds(-1))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenClientCancels_ThrowsCancelledAndCancelsTheServerHandler()
    {
        var id = Guid.NewGuid().ToString("N");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = $"sleep:30000:{id}" },
            EnrollResponse.Parser,
            new CallOptions(CancellationToken: cts.Token)));

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(await fixture.Service.WhenSleeperEnds(id).WaitAsync(Generous), "the handler's token was not cancelled");
    }

    [Fact]
    public async Task Call_WithThreeMiBMessagesBothWays_Succeeds()
    {
        var hostname = new string('h', 3 * TestAgentService.MiB);

        var enroll = await Channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "size", Hostname = hostname },
            EnrollResponse.Parser);
        var pull = await Channel.CallUnaryAsync(AgentServiceMethods.Pull, new PullRequest { MaxJobs = 3 }, PullResponse.Parser);

        Assert.Equal((3 * TestAgentService.MiB).ToString(System.Globalization.CultureInfo.InvariantCulture), enroll.Message.AgentId);
        Assert.Equal(3 * TestAgentService.MiB, pull.Message.Jobs.Single().ParametersJson.Length);
    }

    [Fact]
    public async Task Call_WhenRequestExceedsClientSendLimit_ThrowsResourceExhaustedWithoutSending()
    {
        using var unreachable = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{GetClosedPort()}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => unreachable.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "size", Hostname = new string('h', 5 * TestAgentService.MiB) },
            EnrollResponse.Parser));

        // RESOURCE_EXHAUSTED rather than UNAVAILABLE proves nothing was sent.
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenRequestExceedsServerReceiveLimit_ThrowsResourceExhausted()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Server.Address, new GrpcChannelOptions { MaxSendMessageSize = 16 * TestAgentService.MiB });

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = "size", Hostname = new string('h', 5 * TestAgentService.MiB) },
            EnrollResponse.Parser));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenResponseExceedsClientReceiveLimit_ThrowsResourceExhausted()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.CallUnaryAsync(AgentServiceMethods.Pull, new PullRequest { MaxJobs = 5 }, PullResponse.Parser));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        // The connection is still usable afterwards.
        var pull = await Channel.CallUnaryAsync(AgentServiceMethods.Pull, new PullRequest(), PullResponse.Parser);
        Assert.Empty(pull.Message.Jobs);
    }

    [Fact]
    public async Task Call_WhenResponseExceedsServerSendLimit_ThrowsResourceExhausted()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * TestAgentService.MiB });

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CallUnaryAsync(
            $"/{AgentServerFixture.LimitedService}/Pull",
            new PullRequest { MaxJobs = 5 },
            PullResponse.Parser));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Theory]
    [InlineData("/ops.agent.v1.AgentService/NoSuchMethod")]
    [InlineData("/ops.nothing.v1.Nothing/Enroll")]
    public async Task Call_ToUnknownMethod_ThrowsUnimplemented(string path)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.CallUnaryAsync(path, new EnrollRequest(), EnrollResponse.Parser));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenServerIsUnreachable_ThrowsUnavailable()
    {
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{GetClosedPort()}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallUnaryAsync(AgentServiceMethods.Enroll, new EnrollRequest(), EnrollResponse.Parser));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [Fact]
    public async Task AgentServiceClient_WithAgentToken_SendsBearerAuthorization()
    {
        var client = new AgentServiceClient(Channel) { AgentToken = "secret-token" };

        var response = await client.EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = "h" }, DateTimeOffset.UtcNow.AddSeconds(30));

        Assert.Equal("Bearer secret-token", response.AgentToken);
        Assert.Equal("agent-h", response.AgentId);
    }

    private static int GetClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
