namespace Ops.Contracts.Grpc.Internal;

/// <summary>A protocol-level failure (framing, size, encoding) that maps to a gRPC status.</summary>
internal sealed class GrpcProtocolException(StatusCode statusCode, string message) : Exception(message)
{
    public StatusCode StatusCode { get; } = statusCode;

    public RpcException ToRpcException() => new(StatusCode, Message, (Exception?)this);
}
