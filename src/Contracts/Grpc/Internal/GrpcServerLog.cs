using Microsoft.Extensions.Logging;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>Server-side log events of the gRPC layer (event ids 4100–4119).</summary>
internal static partial class GrpcServerLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Error, Message = "gRPC handler for {Method} threw an unhandled exception; answering UNKNOWN")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "gRPC call {Method} rejected before the handler: {StatusCode} {Detail}")]
    public static partial void CallRejected(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "gRPC call {Method} ended with {StatusCode} {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "gRPC call {Method} exceeded its deadline")]
    public static partial void DeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "gRPC call {Method} was cancelled by the client")]
    public static partial void ClientCancelled(ILogger logger, string method);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Debug, Message = "gRPC request for unknown method {Path}; answering UNIMPLEMENTED")]
    public static partial void UnimplementedMethod(ILogger logger, string path);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "gRPC handler for {Method} failed after the call had already ended")]
    public static partial void HandlerFailedAfterCallEnded(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Debug, Message = "gRPC response for {Method} could not be written (client gone)")]
    public static partial void ResponseWriteFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 4108, Level = LogLevel.Information, Message = "gRPC call {Method} cancelled because the server is shutting down; answering UNAVAILABLE")]
    public static partial void ShuttingDown(ILogger logger, string method);
}
