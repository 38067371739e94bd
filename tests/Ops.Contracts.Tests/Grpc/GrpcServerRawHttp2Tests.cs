using System.Text;
using Google.Protobuf;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;
using Ops.Contracts.Grpc.Internal;
using Ops.Contracts.Tests.Grpc.Infrastructure;

namespace Ops.Contracts.Tests.Grpc;

/// <summary>Our server against hand-made HTTP/2 requests (HttpClient + arbitrary body bytes, no gRPC library).</summary>
public sealed class GrpcServerRawHttp2Tests(AgentServerFixture fixture) : IClassFixture<AgentServerFixture>, IDisposable
{
    private readonly RawGrpcClient raw = new(fixture.Server.Address);

    private static byte[] OkEnroll => RawGrpcClient.Frame(new EnrollRequest { EnrollmentToken = "ok", Hostname = "raw" });

    public void Dispose() => raw.Dispose();

    [Fact]
    public async Task Post_WithValidRequest_AnswersHeadersMessageAndStatusInTrailers()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, OkEnroll);

        Assert.Equal(200, response.HttpStatus);
        Assert.Equal("application/grpc", response.Headers["content-type"]);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
        Assert.Equal("0", response.Trailers["grpc-status"]);
        Assert.Equal(0, response.Body[0]);
        Assert.Equal("agent-raw", EnrollResponse.Parser.ParseFrom(response.Body[5..]).AgentId);
    }

    [Fact]
    public async Task Post_WhenHandlerFails_AnswersTrailersOnlyWithPercentEncodedMessage()
    {
        var response = await raw.SendAsync(
            AgentServiceMethods.Enroll,
            RawGrpcClient.Frame(new EnrollRequest { EnrollmentToken = "status:5" }));

        Assert.Equal(200, response.HttpStatus);
        Assert.True(response.IsTrailersOnly);
        Assert.Equal("5", response.Headers["grpc-status"]);
        Assert.Equal("Fehler %C3%BC %E2%9C%93 100%25 sicher: status 5", response.Headers["grpc-message"]);
        Assert.Equal("yes", response.Headers["x-error"]);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 })]
    [InlineData(new byte[] { 0 })]
    public async Task Post_WithTruncatedPrefix_AnswersInternal(byte[] body)
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, body);

        Assert.Equal("13", response.GrpcStatus);
    }

    [Fact]
    public async Task Post_WithLengthLargerThanBody_AnswersInternal()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, [0, 0, 0, 1, 0, 10, 20, 30]);

        Assert.Equal("13", response.GrpcStatus);
        Assert.True(response.IsTrailersOnly);
    }

    [Fact]
    public async Task Post_WithNoMessage_AnswersInternal()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, []);

        Assert.Equal("13", response.GrpcStatus);
    }

    [Fact]
    public async Task Post_WithTwoMessages_AnswersInternal()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, [.. OkEnroll, .. OkEnroll]);

        Assert.Equal("13", response.GrpcStatus);
    }

    [Fact]
    public async Task Post_WithGarbageProtobuf_AnswersInternal()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, MessageFraming.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], compressed: false));

        Assert.Equal("13", response.GrpcStatus);
        Assert.Contains("parse", Uri.UnescapeDataString(response.Headers["grpc-message"]), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Post_WithDeclaredLengthAboveLimit_AnswersResourceExhaustedWithoutReadingTheBody()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, [0, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3]);

        Assert.Equal("8", response.GrpcStatus);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpc-web")]
    [InlineData(null)]
    public async Task Post_WithWrongContentType_Answers415(string? contentType)
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, OkEnroll, contentType);

        Assert.Equal(415, response.HttpStatus);
    }

    [Theory]
    [InlineData("application/grpc+proto")]
    [InlineData("application/grpc; charset=utf-8")]
    public async Task Post_WithGrpcContentTypeVariants_Succeeds(string contentType)
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, OkEnroll, contentType);

        Assert.Equal("0", response.GrpcStatus);
    }

    [Fact]
    public async Task Get_OnMethodPath_IsNotServed()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, [], method: HttpMethod.Get);

        Assert.Equal(405, response.HttpStatus);
    }

    [Theory]
    [InlineData("/ops.agent.v1.AgentService/Nope")]
    [InlineData("/unknown.Service/Method")]
    public async Task Post_ToUnknownMethod_AnswersUnimplemented(string path)
    {
        var response = await raw.SendAsync(path, OkEnroll);

        Assert.Equal(200, response.HttpStatus);
        Assert.Equal("12", response.GrpcStatus);
        Assert.True(response.IsTrailersOnly);
    }

    [Fact]
    public async Task Post_ToUnknownRestPath_IsNotSwallowedByTheGrpcCatchAll()
    {
        var unknown = await raw.SendAsync("/api/nothing", Encoding.UTF8.GetBytes("{}"), "application/json");
        var known = await raw.SendAsync("/api/echo", Encoding.UTF8.GetBytes("{}"), "application/json");

        Assert.Equal(404, unknown.HttpStatus);
        Assert.Null(unknown.GrpcStatus);
        Assert.Equal(200, known.HttpStatus);
    }

    [Fact]
    public async Task Post_WithGzipCompressedMessage_IsAccepted()
    {
        var payload = new EnrollRequest { EnrollmentToken = "ok", Hostname = new string('z', 10_000) }.ToByteArray();
        var body = MessageFraming.Frame(MessageFraming.CompressGzip(payload), compressed: true);

        var response = await raw.SendAsync(AgentServiceMethods.Enroll, body, headers: [new("grpc-encoding", "gzip")]);

        Assert.Equal("0", response.GrpcStatus);
        Assert.Equal("agent-" + new string('z', 10_000), EnrollResponse.Parser.ParseFrom(response.Body[5..]).AgentId);
    }

    [Fact]
    public async Task Post_WithGzipBombBeyondLimit_AnswersResourceExhausted()
    {
        var payload = new EnrollRequest { Hostname = new string('z', 5 * TestAgentService.MiB) }.ToByteArray();
        var body = MessageFraming.Frame(MessageFraming.CompressGzip(payload), compressed: true);

        var response = await raw.SendAsync(AgentServiceMethods.Enroll, body, headers: [new("grpc-encoding", "gzip")]);

        Assert.True(body.Length < 100_000);
        Assert.Equal("8", response.GrpcStatus);
    }

    [Fact]
    public async Task Post_WithCompressedFlagAndUnsupportedEncoding_AnswersUnimplementedWithAcceptEncoding()
    {
        var body = MessageFraming.Frame([1, 2, 3], compressed: true);

        var response = await raw.SendAsync(AgentServiceMethods.Enroll, body, headers: [new("grpc-encoding", "snappy")]);

        Assert.Equal("12", response.GrpcStatus);
        Assert.Equal("identity,gzip", response.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task Post_WithCompressedFlagAndNoEncoding_AnswersInternal()
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, MessageFraming.Frame([1, 2, 3], compressed: true));

        Assert.Equal("13", response.GrpcStatus);
    }

    [Theory]
    [InlineData("1x")]
    [InlineData("123456789S")]
    [InlineData("-5S")]
    public async Task Post_WithInvalidGrpcTimeout_AnswersInternal(string timeout)
    {
        var response = await raw.SendAsync(AgentServiceMethods.Enroll, OkEnroll, headers: [new("grpc-timeout", timeout)]);

        Assert.Equal("13", response.GrpcStatus);
    }

    [Fact]
    public async Task Post_WithShortGrpcTimeout_AnswersDeadlineExceeded()
    {
        var body = RawGrpcClient.Frame(new EnrollRequest { EnrollmentToken = "sleep:30000" });

        var response = await raw.SendAsync(AgentServiceMethods.Enroll, body, headers: [new("grpc-timeout", "200m")]);

        Assert.Equal("4", response.GrpcStatus);
        Assert.True(response.IsTrailersOnly);
    }

    [Fact]
    public async Task Post_ThousandConcurrentStreamsOnOneConnection_AllSucceedAndTheServerStillServes()
    {
        var calls = Enumerable.Range(0, 1000).Select(_ => raw.SendAsync(AgentServiceMethods.Enroll, OkEnroll)).ToArray();

        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.Equal("0", r.GrpcStatus));
        var after = await new AgentServiceClient(fixture.Channel).EnrollAsync(new EnrollRequest { EnrollmentToken = "ok", Hostname = "after" });
        Assert.Equal("agent-after", after.AgentId);
    }
}
