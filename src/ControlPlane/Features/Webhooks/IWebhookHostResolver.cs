using System.Net;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>Resolves a webhook target's host name to addresses (DNS by default; replaceable in tests to simulate DNS rebinding).</summary>
internal interface IWebhookHostResolver
{
    /// <summary>Every address of <paramref name="host"/>; throws <see cref="System.Net.Sockets.SocketException"/> when it does not resolve.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}
