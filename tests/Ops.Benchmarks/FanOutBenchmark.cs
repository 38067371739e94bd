using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ops.Benchmarks;

/// <summary>
/// Fan-out (issue 14, "batch APIs for users who fan out"): one <c>POST /api/v1/operations</c> of
/// <c>agent.ping</c> targeting, by label, <c>agents</c> simulated agents that each keep a
/// <c>Pull</c> waiting, timed from the POST until every one of its jobs' <c>Complete</c> was
/// accepted (result stored, job <c>succeeded</c>), then checked with
/// <c>GET /api/v1/operations/{id}</c> (status <c>succeeded</c>, one job per agent). One untimed
/// warm-up operation (which also proves every agent's Pull reached the server), then
/// <c>runs</c> timed ones, 500 ms apart so every agent has its next Pull waiting again.
/// </summary>
internal sealed class FanOutBenchmark(HttpClient api, Uri grpcAddress, int controlPlanePid, PostgresTools postgres)
{
    private const int AgentsPerChannel = 100;
    private const int EnrollParallelism = 32;
    private const int PullsStartedPerSecond = 500;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>One fan-out operation, ms from sending the POST.</summary>
    /// <param name="PostMs">Until the 202 arrived.</param>
    /// <param name="AllPulledMs">Until the last of its jobs arrived in an agent's Pull response.</param>
    /// <param name="AllCompletedMs">Until the last of its jobs' Complete was accepted.</param>
    /// <param name="Status">The operation's status read back after that (<c>succeeded</c> expected).</param>
    /// <param name="JobCount">Its jobs read back (one per agent expected).</param>
    public sealed record Run(double PostMs, double AllPulledMs, double AllCompletedMs, string Status, int JobCount);

    /// <summary>The timed runs and what the machine and PostgreSQL did during them.</summary>
    /// <param name="Agents">Agents targeted (one job each).</param>
    /// <param name="Connections">HTTP/2 connections they shared.</param>
    /// <param name="EnrollSeconds">Time to enroll them.</param>
    /// <param name="Runs">The timed runs.</param>
    /// <param name="Cpu">CPU over the timed runs only (POST sent → last Complete accepted), time-weighted.</param>
    /// <param name="Waits">Client backends' states sampled during each run (every 20 ms, or 100 samples when a run is longer than 2 s), averaged over the runs.</param>
    /// <param name="PerJob">PostgreSQL work per job from before the first timed run to after the last.</param>
    /// <param name="Errors">Runs that timed out or read back a status other than succeeded or a wrong job count, plus failed agent RPCs.</param>
    public sealed record Result(
        int Agents, int Connections, double EnrollSeconds, IReadOnlyList<Run> Runs, CpuUsage Cpu, IReadOnlyList<PgWait> Waits, PgPerJob PerJob, long Errors)
    {
        public double MedianMs => Percentiles.Of(Runs.Select(r => r.AllCompletedMs).ToList(), 50);

        public double MinMs => Runs.Count == 0 ? double.NaN : Runs.Min(r => r.AllCompletedMs);

        public double MaxMs => Runs.Count == 0 ? double.NaN : Runs.Max(r => r.AllCompletedMs);

        public double PostMedianMs => Percentiles.Of(Runs.Select(r => r.PostMs).ToList(), 50);

        public double AllPulledMedianMs => Percentiles.Of(Runs.Select(r => r.AllPulledMs).ToList(), 50);
    }

    public async Task<Result> RunAsync(int agents, int runs, CancellationToken cancellationToken)
    {
        var label = new Dictionary<string, string> { ["fanout"] = "true" };
        using var pool = new ChannelPool(grpcAddress, AgentsPerChannel);
        var token = await AgentEnroller.CreateTokenAsync(api, agents, cancellationToken, label);
        var enrollStart = Stopwatch.GetTimestamp();
        var enrolled = await AgentEnroller.EnrollAsync(token, pool, agents, "fanout", EnrollParallelism, cancellationToken);
        var enrollSeconds = Stopwatch.GetElapsedTime(enrollStart).TotalSeconds;
        Console.WriteLine($"  enrolled {agents} agents in {enrollSeconds:F1} s");

        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { kind = "agent.ping", target = new { labels = label } }));
        var board = new JobBoard();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var simulated = new List<SimulatedAgent>();
        var loops = new List<Task>();
        try
        {
            var rampStart = Stopwatch.GetTimestamp();
            for (var i = 0; i < agents; i++)
            {
                var agent = new SimulatedAgent(enrolled[i], board, slots: 1, waitMs: 30_000);
                simulated.Add(agent);
                loops.Add(Task.Run(() => agent.RunAsync(stop.Token), CancellationToken.None));
                var due = rampStart + (long)((i + 1) * (double)Stopwatch.Frequency / PullsStartedPerSecond);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0 && i % 50 == 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                }
            }

            await Task.Delay(1000, cancellationToken);
            var warmup = await RunOnceAsync(body, board, agents, null, cancellationToken);
            Console.WriteLine(FormattableString.Invariant($"  warm-up: all {agents} completed {warmup.Run.AllCompletedMs:F0} ms after the POST ({warmup.Run.Status}, {warmup.Run.JobCount} jobs)"));
            var sampleFor = TimeSpan.FromMilliseconds(Math.Clamp(warmup.Run.AllCompletedMs * 0.8, 100, 10_000));

            var timed = new List<Run>();
            var cpus = new List<CpuUsage>();
            var waits = new List<IReadOnlyList<PgWait>>();
            var errors = 0L;
            await Task.Delay(500, cancellationToken);
            var before = await postgres.CountersAsync("ops", cancellationToken);
            for (var i = 0; i < runs; i++)
            {
                var (run, cpu, activity) = await RunOnceAsync(body, board, agents, sampleFor, cancellationToken);
                timed.Add(run);
                cpus.Add(cpu);
                waits.Add(activity);
                if (!string.Equals(run.Status, "succeeded", StringComparison.OrdinalIgnoreCase) || run.JobCount != agents || double.IsNaN(run.AllCompletedMs))
                {
                    errors++;
                }

                Console.WriteLine(FormattableString.Invariant(
                    $"  run {i + 1}: POST {run.PostMs:F1} ms, all {agents} pulled {run.AllPulledMs:F0} ms, all completed {run.AllCompletedMs:F0} ms ({run.Status}, {run.JobCount} jobs)"));
                await Task.Delay(500, cancellationToken);
            }

            var after = await postgres.CountersAsync("ops", cancellationToken);
            return new Result(
                agents, pool.Count, enrollSeconds, timed, Combine(cpus), Average(waits), after.PerJobSince(before, runs * (double)agents),
                errors + simulated.Sum(a => a.Errors));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
        }
    }

    private async Task<(Run Run, CpuUsage Cpu, IReadOnlyList<PgWait> Waits)> RunOnceAsync(
        byte[] body, JobBoard board, int agents, TimeSpan? sampleFor, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // At most ~100 samples per run (every 20 ms for a run of 2 s or less), so the sampler itself stays light.
        var activity = sampleFor is { } d
            ? postgres.SampleActivityAsync(d, TimeSpan.FromMilliseconds(Math.Max(20, d.TotalMilliseconds / 100)), cancellationToken)
            : null;
        var sampler = new CpuSampler(controlPlanePid, postgres.PostmasterPid());
        var t0 = Stopwatch.GetTimestamp();
        using var response = await api.PostAsync("/api/v1/operations", content, cancellationToken);
        var posted = Stopwatch.GetTimestamp();
        response.EnsureSuccessStatusCode();
        var location = response.Headers.Location!.OriginalString;
        var operationId = location[(location.LastIndexOf('/') + 1)..];
        var times = board.For(operationId);
        double pulledMs, completedMs;
        try
        {
            var pulled = await times.Pulls.WhenCount(agents).WaitAsync(RunTimeout, cancellationToken);
            var completed = await times.Completions.WhenCount(agents).WaitAsync(RunTimeout, cancellationToken);
            (pulledMs, completedMs) = (Stopwatch.GetElapsedTime(t0, pulled).TotalMilliseconds, Stopwatch.GetElapsedTime(t0, completed).TotalMilliseconds);
        }
        catch (TimeoutException)
        {
            (pulledMs, completedMs) = (double.NaN, double.NaN);
        }

        var cpu = sampler.Stop();
        board.Forget(operationId);
        using var read = await api.GetAsync($"/api/v1/operations/{operationId}", cancellationToken);
        read.EnsureSuccessStatusCode();
        using var operation = JsonDocument.Parse(await read.Content.ReadAsStringAsync(cancellationToken));
        var status = operation.RootElement.GetProperty("status").GetString() ?? "?";
        var jobCount = operation.RootElement.GetProperty("jobCount").GetInt32();
        var waits = activity is null ? [] : await activity;
        return (new Run(Stopwatch.GetElapsedTime(t0, posted).TotalMilliseconds, pulledMs, completedMs, status, jobCount), cpu, waits);
    }

    private static CpuUsage Combine(IReadOnlyList<CpuUsage> windows)
    {
        var seconds = windows.Sum(w => w.Seconds);
        double Weighted(Func<CpuUsage, double> f) => seconds <= 0 ? double.NaN : windows.Sum(w => f(w) * w.Seconds) / seconds;
        return new CpuUsage(
            Weighted(w => w.ControlPlane), Weighted(w => w.Postgres), Weighted(w => w.PostgresClients), Weighted(w => w.Bench), Weighted(w => w.MachineBusy), seconds);
    }

    private static List<PgWait> Average(IReadOnlyList<IReadOnlyList<PgWait>> runs) =>
        runs.SelectMany(r => r)
            .GroupBy(w => (w.State, w.Statement))
            .Select(g => new PgWait(g.Key.State, g.Key.Statement, g.Sum(w => w.Backends) / Math.Max(1, runs.Count)))
            .OrderByDescending(w => w.Backends)
            .ToList();

    /// <summary>For log lines.</summary>
    public static string Describe(Result r) => string.Create(
        CultureInfo.InvariantCulture,
        $"{r.Agents} agents: POST → all completed median {r.MedianMs:F0} ms (min {r.MinMs:F0}, max {r.MaxMs:F0}), all pulled {r.AllPulledMedianMs:F0} ms, POST alone {r.PostMedianMs:F1} ms, errors {r.Errors}");
}
