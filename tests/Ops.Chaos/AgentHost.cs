using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Ops.Chaos;

/// <summary>
/// One real agent process (the built <c>Ops.Agent.dll</c>) enrolled against the chaos control
/// plane, with a policy of two scripts: <c>chaos.mark</c> appends its tag to a file shared by
/// the agents (so a job that ran twice shows as two lines) and <c>chaos.sleep</c> sleeps
/// (the long job of scenario c). Its log lines about jobs are kept for the report.
/// </summary>
internal sealed class AgentHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _jobLines = new();

    private AgentHost(Process process, string agentId)
    {
        _process = process;
        AgentId = agentId;
    }

    public string AgentId { get; }

    public int Pid => _process.Id;

    public bool IsRunning => !_process.HasExited;

    /// <summary>Agent log lines that mention <paramref name="jobId"/>.</summary>
    public IReadOnlyList<string> LinesAbout(string jobId) => _jobLines.Where(l => l.Contains(jobId, StringComparison.Ordinal)).ToList();

    public static string MarksFile(string home) => Path.Combine(home, "chaos-marks.txt");

    /// <summary>Writes the agent's config under <c>$home/agents/agent-N</c>, starts it with <paramref name="enrollmentToken"/> and waits for its identity.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="index">N of the agent's folder and hostname.</param>
    /// <param name="enrollmentToken">Used on the first start only (the identity is kept in the state directory).</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <param name="grpcPort">The control plane the agent talks to: a replica's gRPC port or a load balancer's; default the first replica's.</param>
    public static async Task<AgentHost> StartAsync(ChaosOptions options, int index, string enrollmentToken, CancellationToken cancellationToken, int? grpcPort = null)
    {
        var dir = Path.Combine(options.Home, "agents", $"agent-{index}");
        var state = Path.Combine(dir, "state");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Agent = new
            {
                ControlPlaneUrl = $"http://127.0.0.1:{grpcPort ?? options.GrpcPort}",
                StateDirectory = state,
                Hostname = $"chaos-agent-{index}",
                Labels = new Dictionary<string, string> { ["chaos"] = "true" },
                EnabledKinds = new[] { "agent.ping", "script.run" },
                MaxConcurrentJobs = 16,
            },
            Policy = new
            {
                Scripts = new Dictionary<string, object>
                {
                    ["chaos.mark"] = new
                    {
                        Argv = new[] { "/bin/sh", "-c", "echo \"$0\" >> \"$1\"", "{tag}", MarksFile(options.Home) },
                        Arguments = new Dictionary<string, object> { ["tag"] = new { Type = "pattern", Pattern = "[a-z0-9-]{1,80}", Required = true } },
                    },
                    ["chaos.sleep"] = new
                    {
                        Argv = new[] { "/bin/sleep", "{seconds}" },
                        Arguments = new Dictionary<string, object> { ["seconds"] = new { Type = "integer", Min = 1, Max = 600, Required = true } },
                    },
                },
            },
            Logging = new { LogLevel = new { Default = "Information", Microsoft = "Warning", System = "Warning" } },
        }), cancellationToken);

        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(RepoPaths.AgentDll);
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["OPS_AGENT_Agent__EnrollmentToken"] = enrollmentToken;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the agent");
        var lines = new ConcurrentQueue<string>();
        void Keep(string? line)
        {
            if (line is not null && line.Contains("Job ", StringComparison.Ordinal))
            {
                lines.Enqueue(line);
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var identity = Path.Combine(state, "identity.json");
        var waited = Stopwatch.StartNew();
        while (!File.Exists(identity))
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"agent {index} did not enroll (exited: {process.HasExited})");
            }

            await Task.Delay(100, cancellationToken);
        }

        await Task.Delay(200, cancellationToken); // the identity file is written atomically; give the first Pull a moment
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(identity, cancellationToken));
        var host = new AgentHost(process, doc.RootElement.GetProperty("agentId").GetString()!);
        foreach (var line in lines)
        {
            host._jobLines.Enqueue(line);
        }

        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        return host;
    }

    private void Keep(string? line)
    {
        if (line is not null && line.Contains("Job ", StringComparison.Ordinal))
        {
            _jobLines.Enqueue(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, "CONT");
            Signals.Send(_process.Id, "TERM");
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
}
