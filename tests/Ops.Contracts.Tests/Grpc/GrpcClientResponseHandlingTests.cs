using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;
using Ops.Contracts.Grpc.Internal;
using Ops.Contracts.Tests.Grpc.Infrastructure;

namespace Ops.Contracts.Tests.Grpc;

/// <summary>
/// Our client against hand-written HTTP/2 responses (plain Kestrel endpoints, no gRPC server code):
/// non-200 statuses, missing grpc-status, gzip-compressed responses, bad percent-encoding.
/// </summary>
public sealed class GrpcClientResponseHandlingTests : IAsyncLifetime
{
    private GrpcTestServer server = null!;
    private GrpcChannel channel = null!;

    public async Task InitializeAsync()
    {
        server = await GrpcTestServer.StartAsync(app =>
        {
            app.MapPost("/test.Http/{status:int}", (HttpContext context, int status) =>
            {
                context.Response.StatusCode = status;
                return Task.CompletedTask;
            });
            app.MapPost("/test.Grpc/NoStatus", async context =>
            {
                context.Response.ContentType = "application/grpc";
                await context.Response.Body.WriteAsync(RawGrpcClient.Frame(new EnrollResponse { AgentId = "a" }));
            });
            app.MapPost("/test.Grpc/Gzip", async context =>
            {
                var payload = new EnrollResponse { AgentId = new string('g', 50_000) }.ToByteArray();
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-encoding"] = "gzip";
                await context.Response.Body.WriteAsync(MessageFraming.Frame(MessageFraming.CompressGzip(payload), compressed: true));
                context.Response.AppendTrailer("grpc-status", "0");
            });
            app.MapPost("/test.Grpc/Snappy", async context =>
            {
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-encoding"] = "snappy";
                await context.Response.Body.WriteAsync(MessageFraming.Frame([1, 2, 3], compressed: true));
                context.Response.AppendTrailer("grpc-status", "0");
            });
            app.MapPost("/test.Grpc/BadMessage", context =>
            {
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = "9";
                context.Response.Headers["grpc-message"] = "50%zz%E2%9C%93";
                return Task.CompletedTask;
            });
            app.MapPost("/test.Grpc/Html", async context =>
            {
                context.Response.ContentType = "text/html";
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("<html/>"));
            });
        });
        channel = GrpcChannel.ForAddress(server.Address);
    }

    public async Task DisposeAsync()
    {
        channel.Dispose();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    [InlineData(415, StatusCode.Unknown)]
    public async Task Call_WhenHttpStatusIsNot200_MapsItPerTheSpec(int httpStatus, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Call($"/test.Http/{httpStatus}"));

        Assert.Equal(expected, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenGrpcStatusIsMissing_ThrowsInternal()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Call("/test.Grpc/NoStatus"));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenResponseIsGzipCompressed_DecodesIt()
    {
        var response = await Call("/test.Grpc/Gzip");

        Assert.Equal(new string('g', 50_000), response.Message.AgentId);
    }

    [Fact]
    public async Task Call_WhenResponseUsesUnsupportedEncoding_ThrowsInternal()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Call("/test.Grpc/Snappy"));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Call_WhenGrpcMessageHasBrokenPercentEncoding_KeepsItAndDecodesTheRest()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Call("/test.Grpc/BadMessage"));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("50%zz✓", ex.Detail);
    }

    [Fact]
    public async Task Call_WhenContentTypeIsNotGrpc_ThrowsInternal()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Call("/test.Grpc/Html"));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    private Task<UnaryResponse<EnrollResponse>> Call(string path) =>
        channel.CallUnaryAsync(path, new EnrollRequest(), EnrollResponse.Parser);
}
