using System.Net;
using System.Net.Sockets;

namespace Ops.Chaos;

/// <summary>
/// The load balancer of scenario (d): a TCP forwarder on a loopback port that sends each new
/// connection to the first backend port that accepts it (the first replica while it lives, then
/// the second). Connections to a dead backend drop, and the client's retry lands on a live one.
/// </summary>
internal sealed class TcpBalancer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int[] _backends;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TcpBalancer(int port, params int[] backends)
    {
        _backends = backends;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        {
            foreach (var port in _backends)
            {
                using var backend = new TcpClient();
                try
                {
                    await backend.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
                }
                catch (SocketException)
                {
                    continue;
                }

                client.NoDelay = backend.NoDelay = true;
                using var both = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = Pump(client.GetStream(), backend.GetStream(), both.Token);
                var down = Pump(backend.GetStream(), client.GetStream(), both.Token);
                await Task.WhenAny(up, down);
                await both.CancelAsync();
                return;
            }
        }
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
