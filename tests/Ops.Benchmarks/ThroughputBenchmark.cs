using System.Diagnostics;
using System.Net.Http.Headers;

namespace Ops.Benchmarks;

/// <summary>
/// End-to-end throughput of <c>agent.ping</c>: POST /api/v1/operations → the job's <c>Complete</c>
/// accepted (result stored, job <c>succeeded</c>). <c>clients</c> closed-loop HTTP submitters each
/// keep one operation in flight (submit, wait for the simulated agent's accepted Complete, submit
/// the next), round-robin over the agents; after a warm-up, every completion accepted inside the
/// window is counted, and its POST → Complete time is a latency sample. CPU of the control plane,
/// PostgreSQL, this process and the machine, and what PostgreSQL's backends wait on
/// (<c>pg_stat_activity</c> every 200 ms), are sampled over the same window.
/// </summary>
internal sealed class ThroughputBenchmark(Uri restBase, string bearerToken, int controlPlanePid, PostgresTools postgres)
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromSeconds(30);

    /// <summary>One configuration's numbers.</summary>
    /// <param name="Agents">Simulated agents pulling.</param>
    /// <param name="Clients">Closed-loop submitters.</param>
    /// <param name="Completed">Completions accepted inside the window.</param>
    /// <param name="OpsPerSecond"><paramref name="Completed"/> ÷ the window's seconds.</param>
    /// <param name="P50">Median POST sent → Complete accepted, ms.</param>
    /// <param name="P99">99th percentile of the same, ms.</param>
    /// <param name="Errors">Non-2xx POSTs, failed RPCs, completions not seen within 30 s.</param>
    /// <param name="Cpu">CPU over the window.</param>
    /// <param name="Waits">Client backends' states over the window.</param>
    /// <param name="PerJob">PostgreSQL work per completed operation over the window (<see cref="PgCounters"/>).</param>
    public sealed record Result(
        int Agents, int Clients, long Completed, double OpsPerSecond, double P50, double P99, long Errors, CpuUsage Cpu, IReadOnlyList<PgWait> Waits, PgPerJob PerJob);

    /// <summary>Runs one configuration: the agents pull while the clients submit for warm-up + window.</summary>
    public async Task<Result> RunAsync(IReadOnlyList<EnrolledAgent> agents, int clients, TimeSpan warmup, TimeSpan window, CancellationToken cancellationToken)
    {
        var board = new JobBoard();
        using var stopAgents = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var simulated = agents.Select(a => new SimulatedAgent(a, board, slots: 8, waitMs: 30_000)).ToList();
        var agentLoops = simulated.Select(a => Task.Run(() => a.RunAsync(stopAgents.Token), CancellationToken.None)).ToList();
        await Task.Delay(500, cancellationToken); // let every Pull reach the server

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) };
        using var http = new HttpClient(handler) { BaseAddress = restBase, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);

        var start = Stopwatch.GetTimestamp();
        var windowStart = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var next = -1;
        long errors = 0;
        var samples = new List<double>[clients];

        async Task ClientAsync(int client)
        {
            var mine = samples[client] = [];
            while (Stopwatch.GetTimestamp() < windowEnd && !cancellationToken.IsCancellationRequested)
            {
                var agent = agents[(int)((uint)Interlocked.Increment(ref next) % (uint)agents.Count)];
                var t0 = Stopwatch.GetTimestamp();
                string operationId;
                try
                {
                    using var content = new ByteArrayContent(agent.PostBody);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync("/api/v1/operations", content, cancellationToken);
                    if (!response.IsSuccessStatusCode || response.Headers.Location is null)
                    {
                        Interlocked.Increment(ref errors);
                        await Task.Delay(100, cancellationToken);
                        continue;
                    }

                    operationId = response.Headers.Location.OriginalString[(response.Headers.Location.OriginalString.LastIndexOf('/') + 1)..];
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                    await Task.Delay(100, cancellationToken);
                    continue;
                }

                var times = board.For(operationId);
                try
                {
                    var done = await times.Completed.Task.WaitAsync(CompletionTimeout, cancellationToken);
                    if (done >= windowStart && done <= windowEnd)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(t0, done).TotalMilliseconds);
                    }
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref errors);
                }
                finally
                {
                    board.Forget(operationId);
                }
            }
        }

        var submitters = Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c), CancellationToken.None)).ToList();
        await Task.Delay(warmup, cancellationToken);
        var sampler = new CpuSampler(controlPlanePid, postgres.PostmasterPid());
        var counters = postgres.CountersAsync("ops", cancellationToken);
        var activity = postgres.SampleActivityAsync(window - TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), cancellationToken);
        await Task.Delay(window, cancellationToken);
        var cpu = sampler.Stop();
        var countersAfter = await postgres.CountersAsync("ops", cancellationToken);
        var waits = await activity;
        await Task.WhenAll(submitters);

        await stopAgents.CancelAsync();
        await Task.WhenAll(agentLoops);
        var all = samples.SelectMany(s => s).ToList();
        return new Result(
            agents.Count,
            clients,
            all.Count,
            all.Count / window.TotalSeconds,
            Percentiles.Of(all, 50),
            Percentiles.Of(all, 99),
            errors + simulated.Sum(a => a.Errors),
            cpu,
            waits,
            countersAfter.PerJobSince(await counters, all.Count));
    }
}
