using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ops.Benchmarks;

/// <summary>
/// Idle cost of one real agent process (src/Agent, Release): enrolled against the bench's control
/// plane with its state directory in the bench's OPS_HOME and a policy enabling <c>agent.ping</c>
/// and <c>host.disk</c>; after one <c>agent.ping</c> round trip proves it works, it idles (its Pull
/// open, heartbeats every 10 s) while RSS and CPU time are read from /proc; then SIGTERM.
/// </summary>
internal sealed class RealAgentBenchmark(HttpClient api, string agentDll, string home, int grpcPort)
{
    /// <summary>The agent's numbers.</summary>
    public sealed record Result(
        double PingMs, long RssBytes, long PeakRssBytes, int Threads, double CpuPercent, double IdleSeconds, int ExitCode, double StopSeconds);

    public async Task<Result> RunAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(home, "agent");
        var state = Path.Combine(dir, "state");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Agent = new
            {
                ControlPlaneUrl = $"http://127.0.0.1:{grpcPort}",
                StateDirectory = state,
                Hostname = "bench-real-agent",
                Labels = new Dictionary<string, string> { ["bench"] = "real" },
                EnabledKinds = new[] { "agent.ping", "host.disk" },
            },
            Logging = new { LogLevel = new { Default = "Warning" } },
        }), cancellationToken);

        var token = await AgentEnroller.CreateTokenAsync(api, 1, cancellationToken);
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(agentDll);
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["OPS_AGENT_Agent__EnrollmentToken"] = token;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the agent");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[agent] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var identity = Path.Combine(state, "identity.json");
            for (var i = 0; i < 300 && !File.Exists(identity); i++)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"the agent exited with {process.ExitCode}");
                }

                await Task.Delay(100, cancellationToken);
            }

            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(identity, cancellationToken));
            var agentId = doc.RootElement.GetProperty("agentId").GetString()!;
            var ping = await PingAsync(agentId, cancellationToken);

            await Task.Delay(3000, cancellationToken);
            var cpu0 = ProcStat.CpuSeconds(process.Id);
            var t0 = Stopwatch.GetTimestamp();
            await Task.Delay(idle, cancellationToken);
            var cpu1 = ProcStat.CpuSeconds(process.Id);
            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var rss = ProcStat.RssBytes(process.Id);
            var peak = ProcStat.PeakRssBytes(process.Id);
            var threads = ProcStat.Threads(process.Id);

            var stopStart = Stopwatch.GetTimestamp();
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return new Result(ping, rss, peak, threads, (cpu1 - cpu0) / seconds * 100, seconds, process.ExitCode, Stopwatch.GetElapsedTime(stopStart).TotalSeconds);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>POST agent.ping to the agent and polls GET /api/v1/operations/{id} (every 50 ms, ≤ 15 s) until it succeeded.</summary>
    private async Task<double> PingAsync(string agentId, CancellationToken cancellationToken)
    {
        var t0 = Stopwatch.GetTimestamp();
        using var created = await api.PostAsJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agentId } } }, cancellationToken);
        created.EnsureSuccessStatusCode();
        var location = created.Headers.Location!.OriginalString;
        for (var i = 0; i < 300; i++)
        {
            using var body = JsonDocument.Parse(await api.GetStringAsync(location, cancellationToken));
            var status = body.RootElement.GetProperty("status").GetString();
            if (status == "succeeded")
            {
                return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }

            if (status is "failed" or "cancelled" or "timed_out")
            {
                throw new InvalidOperationException($"the real agent's agent.ping ended {status}: {body.RootElement}");
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException("the real agent did not run agent.ping within 15 s");
    }
}
