using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Ops.Chaos;

/// <summary>
/// The chaos scenarios of issue 16, against one control plane and its agents: (a) kill -9 of the
/// control plane under a closed-loop load, (b) <c>pg_ctl restart -m immediate</c> under load,
/// (c) SIGSTOP of an agent past the running grace during a long job, (d) one of two replicas
/// killed behind a load balancer.
/// </summary>
internal sealed class Scenarios(ChaosOptions options, ControlPlaneHost controlPlane, OpsApi api, IReadOnlyList<AgentHost> agents, TextWriter log)
{
    private static string NewRunTag(char scenario) => $"r{scenario}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task WaitAcceptedAsync(ClosedLoopLoad load, int count, Task running, CancellationToken cancellationToken)
    {
        while (load.Accepted < count && !running.IsCompleted)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// (a) kill -9 of the control plane when a third of the load is accepted, kept down longer
    /// than the running grace, restarted on the same database: the agents stayed alive, so every
    /// job must still succeed (none lost for the control plane's own absence).
    /// </summary>
    public async Task<ScenarioResult> KillControlPlaneAsync(CancellationToken cancellationToken)
    {
        var runTag = NewRunTag('a');
        var load = new ClosedLoopLoad(api, agents.Select(a => a.AgentId).ToList(), runTag, options.Operations, options.Clients);
        var running = load.RunAsync(cancellationToken);
        await WaitAcceptedAsync(load, options.Operations / 3, running, cancellationToken);
        log.WriteLine($"(a) {load.Accepted} accepted: kill -9 of the control plane (pid {controlPlane.Pid})");
        await controlPlane.KillAsync();
        var down = Stopwatch.StartNew();
        await Task.Delay(options.RunningGrace + TimeSpan.FromSeconds(1), cancellationToken);
        await controlPlane.StartAsync(cancellationToken);
        var downtime = down.Elapsed;
        log.WriteLine($"(a) control plane back after {downtime.TotalSeconds:F1} s (pid {controlPlane.Pid})");
        await running;
        var result = new ScenarioResult("a", "kill -9 control plane") { Total = options.Operations, Notes = $"down {downtime.TotalSeconds:F1} s (grace {options.RunningGrace.TotalSeconds:F0} s); {load.Replays} client replays" };
        var verified = await LoadVerifier.VerifyAsync(result, api, load, runTag, options.Home, cancellationToken);
        if (verified.Succeeded != verified.Accepted)
        {
            verified.Failures.Add($"{verified.Accepted - verified.Succeeded} operations did not succeed although every agent stayed alive");
        }

        return verified;
    }

    /// <summary>(b) <c>pg_ctl restart -m immediate</c> when a third of the load is accepted: only 2xx or 503 with Retry-After, no process restarts.</summary>
    public async Task<ScenarioResult> RestartPostgresAsync(CancellationToken cancellationToken)
    {
        var runTag = NewRunTag('b');
        var pid = controlPlane.Pid;
        var agentPids = agents.Select(a => a.Pid).ToList();
        var load = new ClosedLoopLoad(api, agents.Select(a => a.AgentId).ToList(), runTag, options.Operations, options.Clients);
        var running = load.RunAsync(cancellationToken);
        await WaitAcceptedAsync(load, options.Operations / 3, running, cancellationToken);
        log.WriteLine($"(b) {load.Accepted} accepted: pg_ctl restart -m immediate");
        var restart = await ControlPlaneHost.RestartPostgresImmediateAsync(options.Home, cancellationToken);
        log.WriteLine($"(b) PostgreSQL back after {restart.TotalSeconds:F1} s");
        await running;
        var result = new ScenarioResult("b", "pg_ctl restart -m immediate") { Total = options.Operations, Notes = $"restart {restart.TotalSeconds:F1} s; {load.Replays} client replays" };
        var verified = await LoadVerifier.VerifyAsync(result, api, load, runTag, options.Home, cancellationToken);
        if (verified.Succeeded != verified.Accepted)
        {
            verified.Failures.Add($"{verified.Accepted - verified.Succeeded} operations did not succeed although every process stayed up");
        }

        if (load.Responses5xx != load.Responses503)
        {
            verified.Failures.Add($"{load.Responses5xx - load.Responses503} 5xx responses other than 503");
        }

        if (load.Responses503WithoutRetryAfter > 0)
        {
            verified.Failures.Add($"{load.Responses503WithoutRetryAfter} responses 503 without Retry-After");
        }

        if (load.ConnectionErrors > 0)
        {
            verified.Failures.Add($"{load.ConnectionErrors} connection errors: the control plane should have stayed up");
        }

        if (controlPlane.Pid != pid || !controlPlane.IsRunning)
        {
            verified.Failures.Add("the control plane restarted or died");
        }

        if (agents.Any(a => !a.IsRunning) || !agents.Select(a => a.Pid).SequenceEqual(agentPids))
        {
            verified.Failures.Add("an agent restarted or died");
        }

        return verified;
    }

    /// <summary>
    /// (c) SIGSTOP of the agent running a long job until the job is <c>lost</c> (past the running
    /// grace), then SIGCONT: the job stays lost (its kind, script.run, is not retry-safe), the
    /// agent's late report is refused, the agent is online again within one heartbeat.
    /// </summary>
    public async Task<ScenarioResult> StopAgentAsync(CancellationToken cancellationToken)
    {
        var result = new ScenarioResult("c", "SIGSTOP agent past the grace") { Total = 1 };
        var agent = agents[0];
        using var created = await api.Http.PostAsync("/api/v1/operations", System.Net.Http.Json.JsonContent.Create(new
        {
            kind = "script.run",
            parameters = new { script = "chaos.sleep", arguments = new { seconds = 40 } },
            target = new { agentIds = new[] { agent.AgentId } },
        }), cancellationToken);
        var operation = JsonDocument.Parse(await created.Content.ReadAsStringAsync(cancellationToken)).RootElement;
        var jobId = operation.GetProperty("jobs")[0].GetProperty("id").GetString()!;

        async Task<string?> JobStatusAsync() => (await api.GetAsync($"/api/v1/jobs/{jobId}", cancellationToken)).GetProperty("status").GetString();
        async Task<bool> WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < timeout)
            {
                if (await condition())
                {
                    return true;
                }

                await Task.Delay(100, cancellationToken);
            }

            return false;
        }

        if (!await WaitForAsync(async () => await JobStatusAsync() == "running", TimeSpan.FromSeconds(30)))
        {
            result.Failures.Add($"the long job never ran (status {await JobStatusAsync()})");
            return result;
        }

        Signals.Send(agent.Pid, "STOP");
        var stopped = Stopwatch.StartNew();
        log.WriteLine($"(c) job {jobId} running: SIGSTOP agent {agent.AgentId} (pid {agent.Pid})");
        var lost = await WaitForAsync(async () => await JobStatusAsync() == "lost", options.RunningGrace + TimeSpan.FromSeconds(30));
        var stoppedFor = stopped.Elapsed;
        Signals.Send(agent.Pid, "CONT");
        var resumed = DateTimeOffset.UtcNow;
        var resumedClock = Stopwatch.StartNew();
        log.WriteLine($"(c) job {(lost ? "lost" : "not lost")} after {stoppedFor.TotalSeconds:F1} s stopped: SIGCONT");

        TimeSpan? online = null;
        await WaitForAsync(async () =>
        {
            var a = await api.GetAsync($"/api/v1/agents/{agent.AgentId}", cancellationToken);
            var seen = a.TryGetProperty("lastSeenAt", out var s) && s.ValueKind == JsonValueKind.String ? s.GetDateTimeOffset() : DateTimeOffset.MinValue;
            if (a.GetProperty("status").GetString() == "online" && seen >= resumed.AddMilliseconds(-50))
            {
                online = resumedClock.Elapsed;
                return true;
            }

            return false;
        }, TimeSpan.FromSeconds(30));

        // The agent learns the job is no longer its own and reports; that late report must change nothing.
        var refusal = "";
        await WaitForAsync(() =>
        {
            refusal = agent.LinesAbout(jobId).LastOrDefault(l => l.Contains("refused", StringComparison.Ordinal) || l.Contains("dropped", StringComparison.Ordinal)) ?? "";
            return Task.FromResult(refusal.Length > 0);
        }, TimeSpan.FromSeconds(20));
        var finalStatus = await JobStatusAsync();

        if (!lost)
        {
            result.Failures.Add($"the job did not become lost within the grace + 30 s (status {finalStatus})");
        }

        if (finalStatus != "lost")
        {
            result.Failures.Add($"the job ended {finalStatus} after the agent resumed: the late completion was accepted");
        }

        if (refusal.Length == 0)
        {
            result.Failures.Add("no refused or dropped late report of the job in the agent's log");
        }

        if (online is not { } o || o > TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs + 1000))
        {
            result.Failures.Add($"the agent was not online again within one heartbeat ({options.HeartbeatIntervalMs} ms): {online?.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) ?? "never"} ms");
        }

        return result with
        {
            Accepted = 1,
            Terminal = OpsApi.IsTerminal(finalStatus) || finalStatus == "lost" ? 1 : 0,
            OtherStatuses = $"{finalStatus}:1",
            Notes = $"stopped {stoppedFor.TotalSeconds:F1} s (grace {options.RunningGrace.TotalSeconds:F0} s); online {online?.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) ?? "never"} ms after SIGCONT; late report: {(refusal.Length > 0 ? "refused" : "not seen")}",
        };
    }

    /// <summary>
    /// (d) two replicas on one database behind a TCP load balancer (the agent takes one
    /// <c>ControlPlaneUrl</c>: a load balancer or DNS name over the replicas), the first killed
    /// with kill -9 under load: the second serves every client and agent; every job succeeds.
    /// Afterwards the first replica is started again (it owns the embedded cluster).
    /// </summary>
    public async Task<ScenarioResult> KillOneOfTwoReplicasAsync(CancellationToken cancellationToken)
    {
        var runTag = NewRunTag('d');
        var second = new ControlPlaneHost(options, replica: 1);
        var balanced = new List<AgentHost>();
        TcpBalancer? rest = null, grpc = null;
        try
        {
            await second.StartAsync(cancellationToken);
            rest = new TcpBalancer(options.HttpPort + 4, controlPlane.HttpPort, second.HttpPort);
            grpc = new TcpBalancer(options.GrpcPort + 4, controlPlane.GrpcPort, second.GrpcPort);
            var token = await api.CreateEnrollmentTokenAsync(options.Agents, cancellationToken);
            for (var i = 0; i < options.Agents; i++)
            {
                balanced.Add(await AgentHost.StartAsync(options, 10 + i, token, cancellationToken, options.GrpcPort + 4));
            }

            using var viaBalancer = new OpsApi(new Uri($"http://127.0.0.1:{options.HttpPort + 4}"), api.Token);
            var load = new ClosedLoopLoad(viaBalancer, balanced.Select(a => a.AgentId).ToList(), runTag, options.Operations, options.Clients);
            var running = load.RunAsync(cancellationToken);
            await WaitAcceptedAsync(load, options.Operations / 3, running, cancellationToken);
            log.WriteLine($"(d) {load.Accepted} accepted through the balancer: kill -9 of replica 1 (pid {controlPlane.Pid}); replica 2 (pid {second.Pid}) stays");
            await controlPlane.KillAsync();
            await running;
            var result = new ScenarioResult("d", "two replicas, kill -9 of one") { Total = options.Operations, Notes = $"agents and clients through a TCP load balancer; {load.Replays} client replays" };
            var verified = await LoadVerifier.VerifyAsync(result, viaBalancer, load, runTag, options.Home, cancellationToken);
            if (verified.Succeeded != verified.Accepted)
            {
                verified.Failures.Add($"{verified.Accepted - verified.Succeeded} operations did not succeed although the second replica and every agent stayed up");
            }

            if (!second.IsRunning)
            {
                verified.Failures.Add("the second replica died");
            }

            return verified;
        }
        finally
        {
            foreach (var agent in balanced)
            {
                await agent.DisposeAsync();
            }

            if (rest is not null)
            {
                await rest.DisposeAsync();
            }

            if (grpc is not null)
            {
                await grpc.DisposeAsync();
            }

            await second.DisposeAsync();
            if (!controlPlane.IsRunning)
            {
                await controlPlane.StartAsync(cancellationToken);
            }
        }
    }
}
