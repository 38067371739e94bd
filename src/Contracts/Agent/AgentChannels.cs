using System.Net.Security;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ops.Contracts.Agent.V1;

namespace Ops.Contracts.Agent;

/// <summary>
/// The one way agents and load generators open a channel to the control plane's agent port
/// (DESIGN.md §3): Grpc.Net.Client over one <see cref="SocketsHttpHandler"/> with
/// <see cref="SocketsHttpHandler.EnableMultipleHttp2Connections"/> (a connection past its
/// peer's stream limit opens another, so thousands of Pulls can wait at once), HTTP/2 keep-alive
/// pings, and the protocol's message limit.
/// </summary>
public static class AgentChannels
{
    /// <summary>Largest message either side accepts: 4 MiB, the gRPC default (RESOURCE_EXHAUSTED above it).</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Opens a channel; <c>http://</c> is h2c, <c>https://</c> TLS with ALPN h2.</summary>
    /// <param name="address">The control plane's agent gRPC URL, e.g. <c>http://127.0.0.1:8081</c>.</param>
    /// <param name="trustedCertificateValidation">Optional server-certificate check for TLS (e.g. a private CA); the system store otherwise.</param>
    public static GrpcChannel Create(Uri address, RemoteCertificateValidationCallback? trustedCertificateValidation = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (trustedCertificateValidation is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = trustedCertificateValidation;
        }

        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
    }

    /// <summary>A typed client on <paramref name="channel"/> that sends the token <paramref name="token"/> returns.</summary>
    public static AgentService.AgentServiceClient Client(GrpcChannel channel, Func<string?> token)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return new AgentService.AgentServiceClient(channel.Intercept(new AgentTokenInterceptor(token)));
    }
}
