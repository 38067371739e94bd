using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>
/// A real, private <c>redis-server</c> (the Debian package; <c>./ops test</c> installs it) on a free
/// loopback port and a Unix socket in a temporary folder, with a password, no persistence, stopped
/// and removed on dispose. Never skips: a missing binary fails the tests that use it.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    /// <summary>The password of the default user.</summary>
    public const string Password = "redis-pw-7f3c9a1e";

    private readonly string directory = Directory.CreateTempSubdirectory("ops-redis-").FullName;
    private Process? process;

    /// <summary>The loopback TCP port.</summary>
    public int Port { get; private set; }

    /// <summary>The Unix socket path.</summary>
    public string Socket => Path.Combine(directory, "redis.sock");

    public async Task InitializeAsync()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server; ./ops test installs it).");
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            if (await TryStartAsync(binary) || attempt == 3)
            {
                break;
            }
        }

        if (process is null || process.HasExited)
        {
            throw new InvalidOperationException($"redis-server exited with code {process?.ExitCode} during start-up (3 attempts).");
        }
    }

    /// <summary>Starts the server on <see cref="Port"/>; false when it exited (the port was taken meanwhile).</summary>
    private async Task<bool> TryStartAsync(string binary)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--unixsocket", Socket, "--unixsocketperm", "700", "--requirepass", Password,
            "--save", string.Empty, "--appendonly", "no", "--dir", directory, "--daemonize", "no", "--protected-mode", "yes",
            "--pidfile", Path.Combine(directory, "redis.pid"), // ./ops test stops a server a killed run left behind
        })
        {
            start.ArgumentList.Add(argument);
        }

        process?.Dispose();
        File.Delete(Socket);
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.TrueAsync(() => (File.Exists(Socket) && CanConnect(Port)) || process.HasExited, "redis-server to listen");
        return !process.HasExited;
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
