using System.Net;
using Google.Protobuf;
using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Grpc;

/// <summary>
/// A client connection to a gRPC server: one <see cref="HttpClient"/> over a
/// <see cref="SocketsHttpHandler"/> speaking HTTP/2 only (<see cref="HttpVersion.Version20"/> with
/// <see cref="HttpVersionPolicy.RequestVersionExact"/>: prior-knowledge h2c for <c>http://</c>, ALPN
/// for <c>https://</c>), all calls multiplexed on one connection (PROTOCOL-HTTP2.md). Thread-safe;
/// create one per server and reuse it.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpClient httpClient;
    private readonly GrpcChannelOptions options;
    private readonly TimeProvider timeProvider;
    private readonly string basePath;
    private int disposed;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        this.options = options;
        timeProvider = options.TimeProvider ?? TimeProvider.System;
        basePath = address.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var handler = options.HttpHandler ?? CreateDefaultHandler();
        httpClient = new HttpClient(handler, disposeHandler: options.HttpHandler is null || options.DisposeHttpHandler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>The server address, e.g. <c>http://127.0.0.1:8081</c>.</summary>
    public Uri Address { get; }

    /// <summary>Creates a channel to <paramref name="address"/> (scheme <c>http</c> or <c>https</c>).</summary>
    /// <param name="address">Absolute server address; a path, if any, prefixes every method path.</param>
    /// <param name="options">Limits and an optional custom handler.</param>
    /// <returns>The channel; dispose it to close the connection.</returns>
    /// <exception cref="ArgumentException">The address is not an absolute http(s) URI.</exception>
    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The address must be an absolute http:// or https:// URI.", nameof(address));
        }

        options ??= new GrpcChannelOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxReceiveMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxSendMessageSize);
        return new GrpcChannel(address, options);
    }

    /// <summary>Creates a channel to <paramref name="address"/>.</summary>
    /// <param name="address">Absolute server address, e.g. <c>http://127.0.0.1:8081</c>.</param>
    /// <param name="options">Limits and an optional custom handler.</param>
    /// <returns>The channel.</returns>
    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address, UriKind.Absolute), options);

    /// <summary>
    /// Performs a unary call: POSTs one uncompressed Length-Prefixed-Message to <paramref name="fullMethod"/>
    /// with <c>te: trailers</c>, <c>content-type: application/grpc</c>, <c>grpc-accept-encoding: identity,gzip</c>,
    /// <c>grpc-timeout</c> (from the deadline) and the custom metadata, then reads one response message and
    /// the status from the trailers (or from the headers of a Trailers-Only response).
    /// </summary>
    /// <typeparam name="TRequest">Request message type.</typeparam>
    /// <typeparam name="TResponse">Response message type.</typeparam>
    /// <param name="fullMethod">Method path, e.g. <c>/ops.agent.v1.AgentService/Pull</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="parser">Parser of the response type, e.g. <c>PullResponse.Parser</c>.</param>
    /// <param name="options">Metadata, deadline and cancellation.</param>
    /// <returns>The response message with response headers and trailers.</returns>
    /// <exception cref="RpcException">
    /// Any non-OK status: the server's status; RESOURCE_EXHAUSTED when a message exceeds a limit (the request
    /// is then not sent); DEADLINE_EXCEEDED or CANCELLED when the deadline passes or the token is cancelled
    /// (the HTTP/2 stream is reset); UNAVAILABLE when the server cannot be reached; a non-200 HTTP status
    /// mapped per doc/http-grpc-status-mapping.md; INTERNAL for malformed responses or a missing grpc-status.
    /// </exception>
    public Task<UnaryResponse<TResponse>> CallUnaryAsync<TRequest, TResponse>(
        string fullMethod,
        TRequest request,
        MessageParser<TResponse> parser,
        CallOptions? options = null)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(fullMethod);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (fullMethod[0] != '/')
        {
            throw new ArgumentException("The method path must start with '/', e.g. /package.Service/Method.", nameof(fullMethod));
        }

        var call = new UnaryClientCall(httpClient, new Uri(basePath + fullMethod), this.options, timeProvider);
        return call.InvokeAsync(request, parser, options ?? new CallOptions());
    }

    /// <summary>Closes the connection; calls in flight fail.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            httpClient.Dispose();
        }
    }

    private static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        EnableMultipleHttp2Connections = false,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
    };
}
