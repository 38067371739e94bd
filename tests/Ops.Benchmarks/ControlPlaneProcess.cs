using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ops.Benchmarks;

/// <summary>
/// The real control plane as a child process on the embedded PostgreSQL default: a fresh
/// <c>OPS_HOME</c>, free loopback ports, ready when <c>/health/ready</c> answers 200.
/// </summary>
internal sealed class ControlPlaneProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ControlPlaneProcess(Process process, string home, int httpPort, int grpcPort)
    {
        _process = process;
        Home = home;
        HttpPort = httpPort;
        GrpcPort = grpcPort;
    }

    public string Home { get; }

    public int HttpPort { get; }

    public int GrpcPort { get; }

    public int Pid => _process.Id;

    public static async Task<ControlPlaneProcess> StartAsync(string dll, string home)
    {
        var (http, grpc) = (FreePort(), FreePort());
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        info.Environment["OPS_HOME"] = home;
        info.Environment["OPS_HTTP_PORT"] = http.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["OPS_GRPC_PORT"] = grpc.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the control plane");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[control plane] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var cp = new ControlPlaneProcess(process, home, http, grpc);
        using var client = new HttpClient();
        for (var i = 0; i < 600; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the control plane exited with {process.ExitCode}");
            }

            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{http}/health/ready")).IsSuccessStatusCode)
                {
                    return cp;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the control plane did not become ready in 60 s");
    }

    /// <summary>Mints a token with the control plane's own bootstrap command (same OPS_HOME key).</summary>
    public static async Task<string> MintTokenAsync(string dll, string home, string role)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { dll, "token", "--sub", "bench", "--role", role, "--ttl", "2h" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["OPS_HOME"] = home;
        using var process = Process.Start(info)!;
        var token = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        return token;
    }

    /// <summary>Resident set size of the process, in bytes (from /proc/&lt;pid&gt;/status VmRSS).</summary>
    public long RssBytes() => ProcStat.RssBytes(_process.Id);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the control plane stops its embedded PostgreSQL on the way out.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
