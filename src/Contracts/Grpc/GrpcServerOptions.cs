namespace Ops.Contracts.Grpc;

/// <summary>Server-side limits and features for <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcService"/>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>The default message size limit in both directions: 4 MiB, as in the reference gRPC implementations.</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    /// <summary>
    /// Largest accepted request message in bytes (after decompression). A larger length prefix ends the
    /// call with <see cref="StatusCode.ResourceExhausted"/> without reading the message. Default 4 MiB.
    /// </summary>
    public int MaxReceiveMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>
    /// Largest response message in bytes. A larger response ends the call with
    /// <see cref="StatusCode.ResourceExhausted"/> instead of being sent. Default 4 MiB.
    /// </summary>
    public int MaxSendMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>
    /// Accept request messages compressed with <c>grpc-encoding: gzip</c> (compression.md). When
    /// false, or for any other encoding, compressed requests fail with <see cref="StatusCode.Unimplemented"/>
    /// and a <c>grpc-accept-encoding</c> header. Responses are always sent uncompressed. Default true.
    /// </summary>
    public bool EnableGzip { get; set; } = true;
}
