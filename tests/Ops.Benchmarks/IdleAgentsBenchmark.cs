using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Ops.Benchmarks;

/// <summary>
/// How many idle agents one control plane holds: simulated agents each keeping a <c>Pull</c> open
/// (<c>wait_ms</c> 30,000, re-issued when it returns), spread 500 to an HTTP/2 connection (the
/// control plane allows 1,000 streams per connection). Per level: the control plane's RSS against
/// the baseline taken after enrollment with no Pull open, its CPU while they wait, and a few
/// POST → Start samples to agents of that level while all the others wait.
/// </summary>
internal sealed class IdleAgentsBenchmark(
    HttpClient api, Uri grpcAddress, ControlPlaneProcess controlPlane, PostgresTools postgres)
{
    private const int AgentsPerChannel = 500;
    private const int EnrollParallelism = 32;
    private const int PullsStartedPerSecond = 500;

    /// <summary>One level's numbers.</summary>
    public sealed record Level(
        int Agents, int Connections, long RssBytes, double BytesPerAgent, int Threads, double IdleCpuCores,
        IReadOnlyList<double> PostToStartMs, double ReadySeconds, long PullErrors);

    /// <summary>The run: enrollment cost, the baseline, every level.</summary>
    public sealed record Result(int Enrolled, double EnrollSeconds, long BaselineRssBytes, IReadOnlyList<Level> Levels);

    public async Task<Result> RunAsync(IReadOnlyList<int> levels, CancellationToken cancellationToken)
    {
        var total = levels[^1];
        using var pool = new ChannelPool(grpcAddress, AgentsPerChannel);
        var token = await AgentEnroller.CreateTokenAsync(api, total, cancellationToken);
        var enrollStart = Stopwatch.GetTimestamp();
        var agents = await AgentEnroller.EnrollAsync(token, pool, total, "idle", EnrollParallelism, cancellationToken);
        var enrollSeconds = Stopwatch.GetElapsedTime(enrollStart).TotalSeconds;
        Console.WriteLine($"  enrolled {total} agents in {enrollSeconds:F1} s");

        await Task.Delay(3000, cancellationToken);
        var baseline = controlPlane.RssBytes();
        var board = new JobBoard();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var simulated = new List<SimulatedAgent>();
        var loops = new List<Task>();
        var results = new List<Level>();
        try
        {
            foreach (var level in levels)
            {
                var since = DateTimeOffset.UtcNow.AddSeconds(-1);
                var rampStart = Stopwatch.GetTimestamp();
                var first = simulated.Count;
                for (var i = first; i < level; i++)
                {
                    var agent = new SimulatedAgent(agents[i], board, slots: 1, waitMs: 30_000);
                    simulated.Add(agent);
                    loops.Add(Task.Run(() => agent.RunAsync(stop.Token), CancellationToken.None));
                    var due = rampStart + (long)((i - first + 1) * (double)Stopwatch.Frequency / PullsStartedPerSecond);
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0 && i % 50 == 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                    }
                }

                // Every Pull authenticates first (touching last_seen_at), then waits: count them in the database.
                var reached = 0;
                var sinceText = since.ToString("O", CultureInfo.InvariantCulture);
                for (var poll = 0; poll < 120 && reached < level; poll++)
                {
                    await Task.Delay(1000, cancellationToken);
                    reached = int.Parse(
                        await postgres.PsqlAsync($"SELECT count(*) FROM agents WHERE hostname LIKE 'idle-%' AND last_seen_at >= '{sinceText}'", cancellationToken),
                        CultureInfo.InvariantCulture);
                }

                var ready = Stopwatch.GetElapsedTime(rampStart).TotalSeconds;
                Console.WriteLine($"  {reached}/{level} idle agents hold a Pull after {ready:F1} s");
                await Task.Delay(5000, cancellationToken);
                var sampler = new CpuSampler(controlPlane.Pid, postgres.PostmasterPid());
                await Task.Delay(5000, cancellationToken);
                var cpu = sampler.Stop();
                var rss = controlPlane.RssBytes();
                var latencies = new List<double>();
                foreach (var index in new[] { level - 1, level / 2, level / 3, level / 5, 7 })
                {
                    latencies.Add(await PostToStartAsync(agents[index], board, cancellationToken));
                }

                results.Add(new Level(
                    level, pool.Count, rss, (rss - baseline) / (double)level, ProcStat.Threads(controlPlane.Pid), cpu.ControlPlane,
                    latencies, ready, simulated.Sum(a => a.Errors)));
                Console.WriteLine($"  {level} idle agents: RSS {rss / 1048576.0:F0} MiB (baseline {baseline / 1048576.0:F0} MiB), POST→Start {string.Join(", ", latencies.Select(l => l.ToString("F1", CultureInfo.InvariantCulture)))} ms");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
        }

        return new Result(total, enrollSeconds, baseline, results);
    }

    private async Task<double> PostToStartAsync(EnrolledAgent agent, JobBoard board, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(agent.PostBody);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var t0 = Stopwatch.GetTimestamp();
        using var response = await api.PostAsync("/api/v1/operations", content, cancellationToken);
        response.EnsureSuccessStatusCode();
        var location = response.Headers.Location!.OriginalString;
        var times = board.For(location[(location.LastIndexOf('/') + 1)..]);
        try
        {
            var started = await times.Started.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            await times.Completed.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            return Stopwatch.GetElapsedTime(t0, started).TotalMilliseconds;
        }
        catch (TimeoutException)
        {
            return double.NaN;
        }
    }
}
