using System.Net;
using System.Net.Sockets;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Server-side request forgery guard of webhook targets (DESIGN.md §15). Link-local addresses
/// (<c>169.254.0.0/16</c> with the cloud metadata address <c>169.254.169.254</c>, <c>fe80::/10</c>,
/// AWS's <c>fd00:ec2::254</c>), unspecified, multicast and broadcast addresses are always refused;
/// loopback (<c>127.0.0.0/8</c>, <c>::1</c>) and private networks (RFC 1918, RFC 6598
/// <c>100.64.0.0/10</c>, unique-local <c>fc00::/7</c>) only when
/// <see cref="WebhooksOptions.AllowPrivateNetworks"/> is set. The check runs at save time on
/// every address the host resolves to, and again at each delivery on the address actually
/// connected to (<see cref="ConnectAsync"/>), so a DNS answer that changes after the save
/// (rebinding) cannot reach a refused network.
/// </summary>
internal sealed class WebhookTargetGuard(WebhooksOptions options, IWebhookHostResolver resolver)
{
    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    /// <summary>Why <paramref name="address"/> is refused, or <c>null</c> when it may be connected to.</summary>
    public string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            if (b[0] == 169 && b[1] == 254)
            {
                return $"{address} is link-local (169.254.0.0/16, cloud metadata): never allowed";
            }

            if (b[0] == 0 || b[0] >= 224)
            {
                return $"{address} is not a unicast address";
            }

            var isPrivate = b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xC0) == 64);
            return isPrivate && !options.AllowPrivateNetworks
                ? $"{address} is on a loopback or private network; set Webhooks:AllowPrivateNetworks to allow it"
                : null;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv6LinkLocal || address.Equals(AwsMetadataV6))
            {
                return $"{address} is link-local (fe80::/10, cloud metadata): never allowed";
            }

            if (address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast)
            {
                return $"{address} is not a unicast address";
            }

            var b = address.GetAddressBytes();
            var isPrivate = address.Equals(IPAddress.IPv6Loopback) || (b[0] & 0xFE) == 0xFC || address.IsIPv6SiteLocal;
            return isPrivate && !options.AllowPrivateNetworks
                ? $"{address} is on a loopback or unique-local network; set Webhooks:AllowPrivateNetworks to allow it"
                : null;
        }

        return $"{address} is not an IP address";
    }

    /// <summary>
    /// Save-time check of a target URL: absolute <c>http</c>/<c>https</c>, no user info, a host
    /// that resolves, every resolved address allowed. Returns the errors (empty when valid).
    /// </summary>
    public async Task<IReadOnlyList<string>> CheckUrlAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return ["url must be an absolute http:// or https:// URL."];
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return ["url must not carry a user name or password; the receiver verifies the signature instead."];
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            return ["url must not have a fragment."];
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await resolver.ResolveAsync(uri.IdnHost, cancellationToken);
            }
            catch (SocketException ex)
            {
                return [$"url host '{uri.IdnHost}' does not resolve: {ex.Message}"];
            }
        }

        if (addresses.Length == 0)
        {
            return [$"url host '{uri.IdnHost}' does not resolve."];
        }

        return addresses.Select(Refusal).OfType<string>().Distinct(StringComparer.Ordinal).Select(r => $"url refused: {r}.").ToList();
    }

    /// <summary>
    /// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the delivery client: resolves the
    /// host, drops refused addresses, and connects to a checked one (never to a name again).
    /// </summary>
    /// <exception cref="WebhookTargetRefusedException">Every address of the host is refused.</exception>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await resolver.ResolveAsync(host, cancellationToken);
        var refusals = new List<string>();
        var allowed = new List<IPAddress>();
        foreach (var address in addresses)
        {
            if (Refusal(address) is { } refusal)
            {
                refusals.Add(refusal);
            }
            else
            {
                allowed.Add(address);
            }
        }

        if (allowed.Count == 0)
        {
            throw new WebhookTargetRefusedException(refusals.Count > 0 ? string.Join("; ", refusals) : $"{host} does not resolve");
        }

        Exception? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }
}
