namespace Ops.Contracts.Grpc;

/// <summary>
/// A non-OK gRPC status. Thrown by <see cref="GrpcChannel"/> when a call ends with a status other
/// than <see cref="StatusCode.OK"/>, and thrown by server handlers to end a call with that status:
/// the server sends <see cref="StatusCode"/> as <c>grpc-status</c>, <see cref="Detail"/> as the
/// percent-encoded <c>grpc-message</c> and <see cref="Trailers"/> as custom trailers
/// (PROTOCOL-HTTP2.md "Responses").
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an exception carrying a gRPC status.</summary>
    /// <param name="statusCode">The status code; <see cref="StatusCode.OK"/> is not an error but is accepted.</param>
    /// <param name="detail">The human-readable status message (any Unicode text).</param>
    /// <param name="trailers">Trailing metadata sent (server) or received (client) with the status.</param>
    public RpcException(StatusCode statusCode, string detail, Metadata? trailers = null)
        : base(FormatMessage(statusCode, detail))
    {
        StatusCode = statusCode;
        Detail = detail ?? string.Empty;
        Trailers = trailers ?? [];
    }

    /// <summary>Creates an exception carrying a gRPC status and the exception that caused it.</summary>
    /// <param name="statusCode">The status code.</param>
    /// <param name="detail">The human-readable status message.</param>
    /// <param name="innerException">The underlying failure (kept local, never sent on the wire).</param>
    public RpcException(StatusCode statusCode, string detail, Exception? innerException)
        : base(FormatMessage(statusCode, detail), innerException)
    {
        StatusCode = statusCode;
        Detail = detail ?? string.Empty;
        Trailers = [];
    }

    /// <summary>The gRPC status code (<c>grpc-status</c>).</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The status message (<c>grpc-message</c>, decoded).</summary>
    public string Detail { get; }

    /// <summary>Trailing metadata: received trailers on the client, trailers to send on the server.</summary>
    public Metadata Trailers { get; }

    private static string FormatMessage(StatusCode statusCode, string? detail) =>
        $"Status(StatusCode=\"{statusCode}\", Detail=\"{detail}\")";
}
