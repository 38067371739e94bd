using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Ops.Benchmarks;

/// <summary>
/// graphile-worker 0.18.0 (npm) side by side with Ops, on the control plane's own embedded
/// PostgreSQL cluster in the same run: a scratch database <c>graphile</c> is created, the Node
/// script <c>tests/Ops.Benchmarks/graphile/bench.mjs</c> (its dependencies installed by
/// <c>./ops bench</c> with <c>npm ci</c>) connects over the cluster's Unix socket and measures
/// add → start latency, closed-loop no-op jobs/s, one <c>addJobs</c> of 1,000 jobs and a drain in
/// graphile-worker's batched mode; the database is dropped after. While the script prints a
/// window's start and end lines, this process samples CPU (/proc: the Node process, PostgreSQL,
/// the machine), <c>pg_stat_activity</c> and the cluster's <see cref="PgCounters"/>.
/// </summary>
/// <remarks>
/// Shapes follow graphile-worker's own perfTest (latencyTest.js: clock read before the add, stopped
/// in the task, one job at a time; run.js + graphile.config: jobs queued first, then drained with
/// <c>localQueue</c> and <c>completeJobBatchDelay: 0</c>, concurrency 24) and Ops's sections 1 and 2.
/// </remarks>
internal sealed class GraphileWorkerBenchmark(PostgresTools postgres, string scriptDirectory, int controlPlanePid)
{
    /// <summary>The scratch database, created before and dropped after.</summary>
    public const string Database = "graphile";

    /// <summary>The longest the script may run (a full run needs about 2 minutes).</summary>
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(6);

    /// <summary>Add → start, one job at a time with one worker waiting (ms).</summary>
    public sealed record LatencyResult(int Samples, double P50, double P95, double P99, double AddP50);

    /// <summary>CPU, backend states and the cluster's counters over one measured window.</summary>
    /// <param name="Cpu">CPU of the control plane (idle), PostgreSQL and the machine over the window.</param>
    /// <param name="NodeCores">CPU of the Node process (adders + runner threads), in cores.</param>
    /// <param name="Waits">Client backends' states (every 200 ms; none for the drain, whose length is not known ahead).</param>
    /// <param name="Start">Cluster counters at the window's start.</param>
    /// <param name="End">Cluster counters at its end.</param>
    public sealed record Window(CpuUsage Cpu, double NodeCores, IReadOnlyList<PgWait> Waits, PgCounters Start, PgCounters End)
    {
        /// <summary>PostgreSQL work per job when <paramref name="jobs"/> jobs ran in the window.</summary>
        public PgPerJob PerJob(double jobs) => End.PerJobSince(Start, jobs);
    }

    /// <summary>One closed-loop configuration: <paramref name="Adders"/> adders, runner concurrency <paramref name="Concurrency"/>.</summary>
    public sealed record ThroughputResult(
        int Adders, int Concurrency, long Completed, double JobsPerSecond, double P50, double P99, long Errors, Window? Window);

    /// <summary>One <c>addJobs</c> call of <paramref name="Jobs"/> jobs → every task has run, over several runs (ms).</summary>
    public sealed record BulkResult(int Jobs, int Runs, double MedianMs, double MinMs, double MaxMs, double AddMedianMs, int Concurrency);

    /// <summary>Jobs queued first, then drained by a runner in batched mode.</summary>
    public sealed record DrainResult(
        int Jobs, int Executed, int Concurrency, int LocalQueue, double QueueMs, double QueuedPerSecond, double StartToLastMs, double JobsPerSecond, Window? Window);

    /// <summary>Everything the script measured.</summary>
    public sealed record Result(
        string Version, string NodeVersion, int AddPoolSize, LatencyResult Latency, IReadOnlyList<ThroughputResult> Throughput, BulkResult Bulk, DrainResult Drain);

    /// <summary>Creates the database, runs the script, drops the database.</summary>
    /// <exception cref="InvalidOperationException">The npm dependencies are missing, or the script failed (its stderr in the message).</exception>
    public async Task<Result> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(scriptDirectory, "node_modules", "graphile-worker")))
        {
            throw new InvalidOperationException($"graphile-worker is not installed: run `npm ci` in {scriptDirectory} (./ops bench does)");
        }

        await postgres.PsqlAsync($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", cancellationToken);
        await postgres.PsqlAsync($"CREATE DATABASE {Database}", cancellationToken);
        try
        {
            return await RunScriptAsync(options, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"bench.mjs did not finish within {ScriptTimeout.TotalMinutes:F0} minutes");
        }
        finally
        {
            await postgres.PsqlAsync($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", CancellationToken.None);
        }
    }

    private async Task<Result> RunScriptAsync(BenchOptions o, CancellationToken cancellationToken)
    {
        var config = new
        {
            pg = new { host = postgres.SocketDirectory, port = postgres.Port(), user = "postgres", database = Database },
            latencyWarmup = 50,
            latencySamples = o.DispatchSamples,
            throughput = o.ThroughputClients.Select(c => new { adders = c, concurrency = o.GraphileConcurrency }).ToArray(),
            warmupSeconds = o.ThroughputWarmup.TotalSeconds,
            windowSeconds = o.ThroughputWindow.TotalSeconds,
            addPoolSize = o.GraphileAddPoolSize,
            bulkJobs = o.FanOutAgents,
            bulkRuns = o.FanOutRuns,
            bulkConcurrency = o.GraphileConcurrency,
            drainJobs = o.GraphileDrainJobs,
            drainConcurrency = 24,
            drainLocalQueue = 500,
        };
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = scriptDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("bench.mjs");
        info.ArgumentList.Add(JsonSerializer.Serialize(config));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        try
        {
            return await ReadAsync(process, o, cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private async Task<Result> ReadAsync(Process process, BenchOptions o, CancellationToken outer)
    {
        // Bounded: a phase that hangs ends the script (and this section) instead of the whole bench.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(outer);
        limit.CancelAfter(ScriptTimeout);
        var cancellationToken = limit.Token;
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var windows = new Dictionary<string, Window>(StringComparer.Ordinal);
        JsonElement? result = null;
        (CpuSampler Sampler, double Node, PgCounters Counters, Task<IReadOnlyList<PgWait>>? Activity, string Name)? open = null;
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith('{'))
            {
                Console.WriteLine($"  [bench.mjs] {line}");
                continue;
            }

            using var message = JsonDocument.Parse(line);
            var root = message.RootElement;
            switch (root.GetProperty("event").GetString())
            {
                case "window-start":
                    var seconds = root.GetProperty("seconds").GetDouble();
                    open = (
                        new CpuSampler(controlPlanePid, postgres.PostmasterPid()),
                        ProcStat.CpuSeconds(process.Id),
                        await postgres.CountersAsync(Database, cancellationToken),
                        seconds >= 2 ? postgres.SampleActivityAsync(TimeSpan.FromSeconds(seconds - 1), TimeSpan.FromMilliseconds(200), cancellationToken) : null,
                        root.GetProperty("name").GetString()!);
                    break;
                case "window-end" when open is { } w:
                    var cpu = w.Sampler.Stop();
                    var node = (ProcStat.CpuSeconds(process.Id) - w.Node) / cpu.Seconds;
                    var counters = await postgres.CountersAsync(Database, cancellationToken);
                    var waits = w.Activity is null ? [] : await w.Activity;
                    windows[w.Name] = new Window(cpu, node, waits, w.Counters, counters);
                    open = null;
                    break;
                case "result":
                    result = root.Clone();
                    break;
            }
        }

        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 || result is not { } r)
        {
            throw new InvalidOperationException($"bench.mjs exited with {process.ExitCode}: {(await error).Trim()}");
        }

        var latency = r.GetProperty("latency");
        var bulk = r.GetProperty("bulk");
        var drain = r.GetProperty("drain");
        var throughput = r.GetProperty("throughput").EnumerateArray().Select(t =>
        {
            var adders = t.GetProperty("adders").GetInt32();
            var concurrency = t.GetProperty("concurrency").GetInt32();
            var completed = t.GetProperty("completed").GetInt64();
            return new ThroughputResult(
                adders, concurrency, completed, Number(t, "jobsPerSecond"), Number(t, "p50"), Number(t, "p99"), t.GetProperty("errors").GetInt64(),
                windows.GetValueOrDefault($"throughput {adders}x{concurrency}"));
        }).ToList();
        var executed = drain.GetProperty("executed").GetInt32();
        return new Result(
            r.GetProperty("version").GetString()!,
            r.GetProperty("node").GetString()!,
            o.GraphileAddPoolSize,
            new LatencyResult(latency.GetProperty("samples").GetInt32(), Number(latency, "p50"), Number(latency, "p95"), Number(latency, "p99"), Number(latency, "addP50")),
            throughput,
            new BulkResult(
                bulk.GetProperty("jobs").GetInt32(), o.FanOutRuns, Number(bulk, "medianMs"), Number(bulk, "minMs"), Number(bulk, "maxMs"), Number(bulk, "addMedianMs"), o.GraphileConcurrency),
            new DrainResult(
                drain.GetProperty("jobs").GetInt32(), executed, drain.GetProperty("concurrency").GetInt32(), drain.GetProperty("localQueue").GetInt32(),
                Number(drain, "queueMs"), Number(drain, "queuedPerSecond"), Number(drain, "startToLastMs"), Number(drain, "jobsPerSecond"),
                windows.GetValueOrDefault("drain")));
    }

    private static double Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : double.NaN;

    /// <summary>For log lines.</summary>
    public static string Describe(Result r) => string.Create(
        CultureInfo.InvariantCulture,
        $"add→start p50 {r.Latency.P50:F2} p95 {r.Latency.P95:F2} p99 {r.Latency.P99:F2} ms (add alone {r.Latency.AddP50:F2}); " +
        $"closed loop {string.Join(", ", r.Throughput.Select(t => $"{t.Adders}×{t.Concurrency}: {t.JobsPerSecond:F0}/s"))}; " +
        $"addJobs {r.Bulk.Jobs} → all run median {r.Bulk.MedianMs:F0} ms; drain {r.Drain.JobsPerSecond:F0} jobs/s");
}
