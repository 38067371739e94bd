using System.Net;
using System.Net.Sockets;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1 for servers the tests start.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port the kernel just handed out and released (free unless another process takes it first).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
