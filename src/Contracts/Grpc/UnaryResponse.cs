namespace Ops.Contracts.Grpc;

/// <summary>The result of a successful unary call: the response message and the metadata received with it.</summary>
/// <typeparam name="T">The response message type.</typeparam>
public sealed class UnaryResponse<T>
{
    /// <summary>Creates a response.</summary>
    /// <param name="message">The decoded response message.</param>
    /// <param name="responseHeaders">Custom metadata of the response headers.</param>
    /// <param name="trailers">Custom metadata of the trailers (without <c>grpc-status</c>/<c>grpc-message</c>).</param>
    public UnaryResponse(T message, Metadata responseHeaders, Metadata trailers)
    {
        Message = message;
        ResponseHeaders = responseHeaders;
        Trailers = trailers;
    }

    /// <summary>The decoded response message.</summary>
    public T Message { get; }

    /// <summary>Custom metadata from the response HEADERS frame (reserved gRPC headers removed).</summary>
    public Metadata ResponseHeaders { get; }

    /// <summary>Custom metadata from the trailing HEADERS frame (reserved gRPC headers removed).</summary>
    public Metadata Trailers { get; }
}
