using System.Diagnostics;
using System.Globalization;

namespace Ops.Chaos;

/// <summary>
/// The real control plane (the built <c>Ops.ControlPlane.dll</c>) as a child process on its
/// embedded PostgreSQL in <c>$home/pg</c>, with short leases so the faults show within seconds.
/// Started, killed with SIGKILL, restarted on the same home and ports, stopped with SIGTERM
/// (which also stops its PostgreSQL). Adapted from tests/Ops.Benchmarks' ControlPlaneProcess.
/// </summary>
/// <param name="options">The run's settings (home, timings).</param>
/// <param name="replica">0 for the control plane that owns the embedded cluster; 1 for a second replica on the same database (scenario d), on the ports after the proxies'.</param>
internal sealed class ControlPlaneHost(ChaosOptions options, int replica = 0) : IAsyncDisposable
{
    private Process? _process;

    public int HttpPort => replica == 0 ? options.HttpPort : options.HttpPort + 2;

    public int GrpcPort => replica == 0 ? options.GrpcPort : options.GrpcPort + 2;

    public Uri RestAddress => new($"http://127.0.0.1:{HttpPort}");

    public int Pid => _process?.Id ?? 0;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts it and waits for <c>/health/ready</c> (migrations applied, database reachable).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(RepoPaths.ControlPlaneDll);
        info.Environment["OPS_HOME"] = options.Home;
        info.Environment["OPS_HTTP_PORT"] = HttpPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["OPS_GRPC_PORT"] = GrpcPort.ToString(CultureInfo.InvariantCulture);
        if (replica > 0)
        {
            // The first replica's embedded cluster, over its Unix socket.
            info.Environment["ConnectionStrings__Ops"] = $"Host={Path.Combine(options.Home, "pg")};Port=5432;Username=postgres;Database=ops;Maximum Pool Size=100";
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Error";
        info.Environment["AgentProtocol__LeaseDuration"] = "00:00:10";
        info.Environment["AgentProtocol__RunningGrace"] = options.RunningGrace.ToString("c", CultureInfo.InvariantCulture);
        info.Environment["Agents__HeartbeatIntervalMs"] = options.HeartbeatIntervalMs.ToString(CultureInfo.InvariantCulture);
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start the control plane");
        // Its warnings and errors go to $home/control-plane.log, for the post-mortem of a failed check.
        var logFile = TextWriter.Synchronized(new StreamWriter(Path.Combine(options.Home, replica == 0 ? "control-plane.log" : $"control-plane-{replica}.log"), append: true) { AutoFlush = true });
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) logFile.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) logFile.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the control plane exited with {_process.ExitCode}");
            }

            try
            {
                using var ready = await client.GetAsync(new Uri(RestAddress, "/health/ready"), cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException("the control plane did not become ready in 120 s");
    }

    /// <summary>kill -9: no shutdown, connections drop, its PostgreSQL keeps running.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary><c>pg_ctl restart -m immediate</c> of its embedded cluster (as the postgres user when root): an instant crash and recovery.</summary>
    public static async Task<TimeSpan> RestartPostgresImmediateAsync(string home, CancellationToken cancellationToken)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).First();
        var pgCtl = Path.Combine(bin, "bin", "pg_ctl");
        var data = Path.Combine(home, "pg", "data");
        var info = Environment.IsPrivilegedProcess ? new ProcessStartInfo("runuser") : new ProcessStartInfo(pgCtl);
        if (Environment.IsPrivilegedProcess)
        {
            foreach (var a in new[] { "-u", "postgres", "--", pgCtl })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in new[] { "restart", "-D", data, "-m", "immediate", "-w", "-t", "60", "-s", "-l", Path.Combine(home, "pg", "postgres.log") })
        {
            info.ArgumentList.Add(a);
        }

        info.RedirectStandardError = true;
        info.RedirectStandardOutput = true;
        var started = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("pg_ctl did not start");
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl restart exited with {process.ExitCode}: {error}");
        }

        return started.Elapsed;
    }

    /// <summary>An API token of <paramref name="role"/> minted by the control plane's own command (same signing key in the home).</summary>
    public async Task<string> MintTokenAsync(string role, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { RepoPaths.ControlPlaneDll, "token", "--sub", "chaos", "--role", role, "--ttl", "4h" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["OPS_HOME"] = options.Home;
        using var process = Process.Start(info)!;
        var token = (await process.StandardOutput.ReadToEndAsync(cancellationToken)).Trim();
        await process.WaitForExitAsync(cancellationToken);
        return token;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signals.Send(process.Id, "TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
    }
}
