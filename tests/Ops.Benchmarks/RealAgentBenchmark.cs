using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ops.Benchmarks;

/// <summary>
/// Idle cost and start time of the real agent, JIT (<c>dotnet src/Agent/bin/Release/net10.0/Ops.Agent.dll</c>)
/// and Native AOT (<c>dist/ops-agent-linux-x64</c> from <c>./ops publish-agent</c>), one after
/// the other against the bench's control plane: each enrolls fresh (own state directory in the
/// bench's OPS_HOME, policy <c>agent.ping</c> and <c>host.disk</c>), is timed from process start
/// to the Information line it logs when it sends its first Pull, runs one <c>agent.ping</c>, then
/// idles (its Pull open, heartbeats every 10 s) while RSS and CPU time are read from /proc; then SIGTERM.
/// </summary>
internal sealed class RealAgentBenchmark(HttpClient api, string agentDll, string agentBinary, string home, int grpcPort)
{
    /// <summary>The line the agent logs (ConnectionLog.FirstPull, Information) as it sends its first Pull.</summary>
    private const string FirstPullLine = "First Pull since start";

    /// <summary>One agent build's numbers.</summary>
    public sealed record Row(
        string Name, string Command, long? BinaryBytes, double StartToFirstPullMs, double PingMs, long RssBytes, long PrivateBytes, long PeakRssBytes,
        int Threads, double CpuPercent, double IdleSeconds, int ExitCode, double StopSeconds);

    /// <summary>The JIT row, and the AOT row or why there is none (<see cref="AotMissing"/>).</summary>
    public sealed record Result(Row Jit, Row? Aot, string? AotMissing, string AotPath);

    public async Task<Result> RunAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        var jit = await RunOneAsync("JIT", "dotnet src/Agent/bin/Release/net10.0/Ops.Agent.dll", "dotnet", [agentDll], null, idle, cancellationToken);
        if (!File.Exists(agentBinary))
        {
            return new Result(jit, null, "not built (./ops publish-agent needs clang and zlib1g-dev; ./ops bench runs it when they are installed)", agentBinary);
        }

        try
        {
            var aot = await RunOneAsync("AOT", "dist/ops-agent-linux-x64", agentBinary, [], new FileInfo(agentBinary).Length, idle, cancellationToken);
            return new Result(jit, aot, null, agentBinary);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
        {
            return new Result(jit, null, "failed: " + e.Message, agentBinary);
        }
    }

    /// <summary>
    /// <c>./ops bench agent [seconds]</c>: only this section, against its own control plane in a
    /// fresh OPS_HOME; prints section 5 as BENCHMARKS.md would show it (BENCHMARKS.md is left as it was).
    /// </summary>
    public static async Task RunAloneAsync(string root, IReadOnlyList<string> args)
    {
        var idle = TimeSpan.FromSeconds(args.Count > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 20);
        var controlPlaneDll = Path.Combine(root, "src", "ControlPlane", "bin", "Release", "net10.0", "Ops.ControlPlane.dll");
        var agentDll = Path.Combine(root, "src", "Agent", "bin", "Release", "net10.0", "Ops.Agent.dll");
        var home = Path.Combine(Path.GetTempPath(), $"ops-bench-{Guid.NewGuid():N}"[..20]);
        using var budget = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        Console.WriteLine($"section 5 only: the real agent, JIT and AOT, {idle.TotalSeconds:F0} s idle each; OPS_HOME {home}");
        Result result;
        await using (var controlPlane = await ControlPlaneProcess.StartAsync(controlPlaneDll, home))
        {
            var token = await ControlPlaneProcess.MintTokenAsync(controlPlaneDll, home, "admin");
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{controlPlane.HttpPort}"), Timeout = TimeSpan.FromSeconds(60) };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            result = await new RealAgentBenchmark(api, agentDll, Path.Combine(root, "dist", "ops-agent-linux-x64"), home, controlPlane.GrpcPort)
                .RunAsync(idle, budget.Token);
        }

        Console.WriteLine();
        Console.WriteLine(ReportWriter.RealAgentSection(result));
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<Row> RunOneAsync(string name, string command, string program, string[] programArgs, long? binaryBytes, TimeSpan idle, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(home, "agent-" + name.ToLowerInvariant());
        var state = Path.Combine(dir, "state");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Agent = new
            {
                ControlPlaneUrl = $"http://127.0.0.1:{grpcPort}",
                StateDirectory = state,
                Hostname = $"bench-real-agent-{name.ToLowerInvariant()}",
                Labels = new Dictionary<string, string> { ["bench"] = "real", ["build"] = name.ToLowerInvariant() },
                EnabledKinds = new[] { "agent.ping", "host.disk" },
            },
            Logging = new { LogLevel = new Dictionary<string, string> { ["Default"] = "Warning", ["Ops.Agent.Connection.PullLoop"] = "Information" } },
        }), cancellationToken);

        var token = await AgentEnroller.CreateTokenAsync(api, 1, cancellationToken);
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in programArgs)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["OPS_AGENT_Agent__EnrollmentToken"] = token;
        var firstPull = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the {name} agent");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains(FirstPullLine, StringComparison.Ordinal))
            {
                firstPull.TrySetResult(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{name} agent] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            double startMs;
            try
            {
                startMs = await firstPull.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException(process.HasExited
                    ? $"the {name} agent exited with {process.ExitCode} before its first Pull"
                    : $"the {name} agent logged no first Pull within 30 s");
            }

            var identity = Path.Combine(state, "identity.json");
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(identity, cancellationToken));
            var agentId = doc.RootElement.GetProperty("agentId").GetString()!;
            var ping = await PingAsync(name, agentId, cancellationToken);

            await Task.Delay(3000, cancellationToken);
            var cpu0 = ProcStat.CpuSeconds(process.Id);
            var t0 = Stopwatch.GetTimestamp();
            await Task.Delay(idle, cancellationToken);
            var cpu1 = ProcStat.CpuSeconds(process.Id);
            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var rss = ProcStat.RssBytes(process.Id);
            var anonymous = RssAnonBytes(process.Id);
            var peak = ProcStat.PeakRssBytes(process.Id);
            var threads = ProcStat.Threads(process.Id);

            var stopStart = Stopwatch.GetTimestamp();
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return new Row(name, command, binaryBytes, startMs, ping, rss, anonymous, peak, threads, (cpu1 - cpu0) / seconds * 100, seconds, process.ExitCode, Stopwatch.GetElapsedTime(stopStart).TotalSeconds);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// The private part of RSS (RssAnon in /proc/&lt;pid&gt;/status: heap, stacks, rehydrated data), in
    /// bytes; the rest is file pages (the binary, the framework's assemblies) the kernel can share and drop.
    /// </summary>
    private static long RssAnonBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>POST agent.ping to the agent and polls GET /api/v1/operations/{id} (every 50 ms, ≤ 15 s) until it succeeded.</summary>
    private async Task<double> PingAsync(string name, string agentId, CancellationToken cancellationToken)
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
                throw new InvalidOperationException($"the {name} agent's agent.ping ended {status}: {body.RootElement}");
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"the {name} agent did not run agent.ping within 15 s");
    }
}
