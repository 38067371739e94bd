using Microsoft.AspNetCore.Http;

namespace Ops.Contracts.Grpc;

/// <summary>
/// Per-call state handed to a server handler registered with
/// <see cref="GrpcServiceDefinition.AddUnaryMethod{TRequest, TResponse}"/>.
/// </summary>
public sealed class ServerCallContext
{
    internal ServerCallContext(
        string method,
        Metadata requestHeaders,
        DateTimeOffset? deadline,
        CancellationToken cancellationToken,
        string peer,
        HttpContext httpContext)
    {
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        Peer = peer;
        HttpContext = httpContext;
    }

    /// <summary>The full method path, e.g. <c>/ops.agent.v1.AgentService/Pull</c> (PROTOCOL-HTTP2.md ":path").</summary>
    public string Method { get; }

    /// <summary>
    /// Custom request metadata, including <c>authorization</c>; pseudo headers, <c>grpc-*</c> headers and
    /// transport headers (content-type, te, user-agent, host, accept-encoding, content-length) are removed.
    /// </summary>
    public Metadata RequestHeaders { get; }

    /// <summary>The absolute deadline from the <c>grpc-timeout</c> request header, or null when none was sent.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>
    /// Cancelled when the client cancels (RST_STREAM) or disconnects, when the deadline passes, or when
    /// the server starts shutting down.
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Metadata sent as response headers, before the response message (and merged into the Trailers-Only response of an error).</summary>
    public Metadata ResponseHeaders { get; } = [];

    /// <summary>Metadata sent as trailers after the response message, or in the Trailers-Only response of an error.</summary>
    public Metadata ResponseTrailers { get; } = [];

    /// <summary>The client address in gRPC peer form: <c>ipv4:127.0.0.1:5000</c>, <c>ipv6:[::1]:5000</c> or <c>unknown</c>.</summary>
    public string Peer { get; }

    /// <summary>The underlying ASP.NET Core request; valid only until the handler's task completes.</summary>
    public HttpContext HttpContext { get; }
}
