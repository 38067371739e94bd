namespace Ops.Benchmarks;

/// <summary>
/// What one database round trip costs on this machine by itself, measured with pgbench (one
/// client, <c>-r</c> per-statement latency) on the control plane's cluster: the floor under
/// section 1, where each step waits on one such round trip after the process was idle.
/// </summary>
/// <param name="InsertBackToBackMs">One durable single-row INSERT (autocommit, fsync), sent right after the previous one.</param>
/// <param name="InsertAfterIdleMs">The same INSERT after 15 ms idle (<c>\sleep 15 ms</c>), the gap before each POST in section 1.</param>
/// <param name="SelectAfterIdleMs"><c>SELECT 1</c> after 15 ms idle: the round trip without a commit to flush.</param>
internal sealed record CommitFloor(double InsertBackToBackMs, double InsertAfterIdleMs, double SelectAfterIdleMs)
{
    /// <summary>The idle gap of the after-idle scripts, as section 1 waits before each POST.</summary>
    public const int IdleMs = 15;

    /// <summary>Measures the three statements, <paramref name="seconds"/> each; <paramref name="insertScript"/> is section 3's INSERT script.</summary>
    public static async Task<CommitFloor> MeasureAsync(PostgresTools postgres, string home, string insertScript, int seconds, CancellationToken cancellationToken)
    {
        var insertAfterIdle = Path.Combine(home, "bench_insert_after_idle.sql");
        await File.WriteAllTextAsync(insertAfterIdle, $"\\sleep {IdleMs} ms\n" + await File.ReadAllTextAsync(insertScript, cancellationToken), cancellationToken);
        var selectAfterIdle = Path.Combine(home, "bench_select_after_idle.sql");
        await File.WriteAllTextAsync(selectAfterIdle, $"\\sleep {IdleMs} ms\nSELECT 1;\n", cancellationToken);
        return new CommitFloor(
            await postgres.StatementLatencyAsync(insertScript, "INSERT", seconds, cancellationToken),
            await postgres.StatementLatencyAsync(insertAfterIdle, "INSERT", seconds, cancellationToken),
            await postgres.StatementLatencyAsync(selectAfterIdle, "SELECT", seconds, cancellationToken));
    }
}
