namespace Ops.Benchmarks;

/// <summary>One pgbench run.</summary>
/// <param name="Script">Which transaction: <c>insert</c> (one single-row INSERT) or <c>insert+notify</c> (the same INSERT with a <c>pg_notify</c>, like a job insert's trigger).</param>
/// <param name="Clients">Concurrent clients (<c>-c</c>).</param>
/// <param name="Tps">Transactions per second, without initial connection time.</param>
/// <param name="LatencyMs">pgbench's average latency per transaction, in ms.</param>
/// <param name="Transactions">Transactions processed.</param>
/// <param name="Cpu">CPU used by PostgreSQL, pgbench (as bench) and the machine during the run.</param>
/// <param name="Waits">What the backends were doing, sampled every 200 ms during the run.</param>
internal sealed record PgBenchResult(string Script, int Clients, double Tps, double LatencyMs, long Transactions, CpuUsage Cpu, IReadOnlyList<PgWait> Waits);
