namespace Ops.Contracts.Grpc;

/// <summary>Options for <see cref="GrpcChannel.ForAddress(Uri, GrpcChannelOptions?)"/>.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>
    /// Largest accepted response message in bytes (after decompression); a larger one fails the call
    /// with <see cref="StatusCode.ResourceExhausted"/> and cancels the stream. Default 4 MiB.
    /// </summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcServerOptions.DefaultMaxMessageSize;

    /// <summary>
    /// Largest request message in bytes; a larger one fails with <see cref="StatusCode.ResourceExhausted"/>
    /// before anything is sent. Default 4 MiB.
    /// </summary>
    public int MaxSendMessageSize { get; set; } = GrpcServerOptions.DefaultMaxMessageSize;

    /// <summary>
    /// Optional handler to send requests through (e.g. a <see cref="System.Net.Http.SocketsHttpHandler"/> that
    /// trusts a test certificate). It must support HTTP/2 and response trailers. When null, the channel
    /// creates a <see cref="System.Net.Http.SocketsHttpHandler"/> with one multiplexed HTTP/2 connection.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether disposing the channel disposes <see cref="HttpHandler"/>. Default true.</summary>
    public bool DisposeHttpHandler { get; set; } = true;

    /// <summary>Clock used to turn <see cref="CallOptions.Deadline"/> into timeouts. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
