using System.Globalization;

namespace Ops.Benchmarks;

/// <summary>
/// What one <c>./ops bench</c> run measures and for how long. The full run (no arguments) fits in
/// about ten to twelve minutes on a 2-core machine and rewrites BENCHMARKS.md; <c>./ops bench quick</c> is a
/// shorter smoke run (short windows, 1,000 idle agents only) that prints its report instead.
/// </summary>
internal sealed record BenchOptions
{
    /// <summary>True for <c>quick</c>: shorter windows, no BENCHMARKS.md rewrite.</summary>
    public bool Quick { get; init; }

    /// <summary>
    /// True for <c>hot</c>: sections 1 and 2 only (dispatch latency, closed-loop throughput), their
    /// lines printed, BENCHMARKS.md untouched; for iterating on the hot path in about two minutes.
    /// </summary>
    public bool HotPathOnly { get; init; }

    /// <summary>Dispatch-latency samples after 50 warm-up operations.</summary>
    public int DispatchSamples { get; init; } = 500;

    /// <summary>Simulated-agent counts of the throughput runs.</summary>
    public IReadOnlyList<int> ThroughputAgents { get; init; } = [1, 10, 100];

    /// <summary>Concurrent HTTP submitters tried per agent count (closed loop: one operation in flight each).</summary>
    public IReadOnlyList<int> ThroughputClients { get; init; } = [8, 32, 128];

    /// <summary>Warm-up before each throughput window (not counted).</summary>
    public TimeSpan ThroughputWarmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The counted window of each throughput configuration.</summary>
    public TimeSpan ThroughputWindow { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>pgbench client counts (each run <see cref="PgBenchSeconds"/> long).</summary>
    public IReadOnlyList<int> PgBenchClients { get; init; } = [1, 16, 64];

    /// <summary>pgbench client counts of the insert + pg_notify variant.</summary>
    public IReadOnlyList<int> PgBenchNotifyClients { get; init; } = [16, 64];

    /// <summary>Duration of each pgbench run, in seconds (<c>-T</c>).</summary>
    public int PgBenchSeconds { get; init; } = 15;

    /// <summary>Idle-agent levels, ascending: each level adds agents to the previous one.</summary>
    public IReadOnlyList<int> IdleAgentLevels { get; init; } = [1_000, 10_000];

    /// <summary>How long the real agent process idles while its CPU time is sampled.</summary>
    public TimeSpan RealAgentIdle { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Simulated agents one fan-out operation targets (by label), each with a Pull waiting.</summary>
    public int FanOutAgents { get; init; } = 1_000;

    /// <summary>Timed fan-out operations (after one untimed warm-up); the report gives their median, min and max.</summary>
    public int FanOutRuns { get; init; } = 5;

    /// <summary>
    /// graphile-worker's runner concurrency (<c>concurrentJobs</c>) in the closed-loop and bulk runs:
    /// 80 = the job slots of section 2's 10-agent rows (10 agents × 8 slots), so the same number of
    /// jobs can run at once; its adders are <see cref="ThroughputClients"/>, the same counts as Ops's submitters.
    /// </summary>
    public int GraphileConcurrency { get; init; } = 80;

    /// <summary>PostgreSQL connections of graphile-worker's adders (WorkerUtils' pool; the runner has concurrency + 2 of its own).</summary>
    public int GraphileAddPoolSize { get; init; } = 32;

    /// <summary>Jobs queued before graphile-worker's batched-mode drain.</summary>
    public int GraphileDrainJobs { get; init; } = 20_000;

    /// <summary>Parses <c>./ops bench [quick|hot] [dispatch-samples]</c>.</summary>
    /// <exception cref="ArgumentException">An argument is neither <c>quick</c>, <c>hot</c> nor a positive integer.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        foreach (var arg in args)
        {
            if (arg == "quick")
            {
                options = options with
                {
                    Quick = true,
                    DispatchSamples = Math.Min(options.DispatchSamples, 100),
                    ThroughputClients = [8, 64],
                    ThroughputWarmup = TimeSpan.FromSeconds(1),
                    ThroughputWindow = TimeSpan.FromSeconds(5),
                    PgBenchClients = [1, 16],
                    PgBenchNotifyClients = [16],
                    PgBenchSeconds = 5,
                    IdleAgentLevels = [1_000],
                    RealAgentIdle = TimeSpan.FromSeconds(10),
                    FanOutRuns = 3,
                    GraphileDrainJobs = 5_000,
                };
            }
            else if (arg == "hot")
            {
                options = options with
                {
                    HotPathOnly = true,
                    ThroughputAgents = [10, 100],
                    ThroughputClients = [8, 128],
                    ThroughputWarmup = TimeSpan.FromSeconds(2),
                    ThroughputWindow = TimeSpan.FromSeconds(8),
                };
            }
            else if (int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var samples) && samples > 0)
            {
                options = options with { DispatchSamples = samples };
            }
            else
            {
                throw new ArgumentException($"usage: ./ops bench [quick|hot] [dispatch-samples] (got '{arg}')");
            }
        }

        return options;
    }
}
