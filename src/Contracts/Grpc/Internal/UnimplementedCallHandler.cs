using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>Answers gRPC requests for unknown services or methods with UNIMPLEMENTED (Trailers-Only).</summary>
internal sealed class UnimplementedCallHandler(ILogger logger)
{
    public Task HandleAsync(HttpContext httpContext)
    {
        var path = httpContext.Request.Path.Value ?? string.Empty;
        GrpcServerLog.UnimplementedMethod(logger, path);
        if (!GrpcServerResponse.TrySetTrailersOnly(httpContext.Response, StatusCode.Unimplemented, $"Method is unimplemented: {path}"))
        {
            httpContext.Abort();
        }

        return Task.CompletedTask;
    }
}
