namespace Ops.Benchmarks;

/// <summary>Everything one run measured, for <see cref="ReportWriter"/>.</summary>
internal sealed record BenchReport
{
    public required BenchOptions Options { get; init; }

    public required string Commit { get; init; }

    public required string PostgresVersion { get; init; }

    public required DateTimeOffset At { get; init; }

    public required DispatchLatencyBenchmark.Result Dispatch { get; init; }

    /// <summary>PostgreSQL work per dispatched operation over section 1 (warm-up included).</summary>
    public required PgPerJob DispatchPerJob { get; init; }

    /// <summary>Latency of cheaper requests that split the POST's time.</summary>
    public required RequestFloors Floors { get; init; }

    public required IReadOnlyList<ThroughputBenchmark.Result> Throughput { get; init; }

    public required IReadOnlyList<PgBenchResult> PgBench { get; init; }

    /// <summary>Section 1's floor: one round trip with and without a durable commit; null when pgbench failed.</summary>
    public required CommitFloor? CommitFloor { get; init; }

    public required RealAgentBenchmark.Result? RealAgent { get; init; }

    public required IdleAgentsBenchmark.Result? Idle { get; init; }

    /// <summary>Section 6: one operation to many agents; null when it could not run.</summary>
    public required FanOutBenchmark.Result? FanOut { get; init; }

    /// <summary>Section 7: graphile-worker on the same cluster; null when it could not run.</summary>
    public required GraphileWorkerBenchmark.Result? GraphileWorker { get; init; }

    public required long ControlPlaneRssAfterThroughput { get; init; }

    public required double TotalSeconds { get; init; }

    /// <summary>What could not be measured, one line each.</summary>
    public required IReadOnlyList<string> Failures { get; init; }
}
