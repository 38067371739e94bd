namespace Ops.Benchmarks;

/// <summary>
/// What one database round trip costs on this machine by itself, measured with pgbench (one
/// client, <c>-r</c> per-statement latency) on the control plane's cluster: the floor under
/// section 1 (measured right after it), where each step waits on one such round trip after the
/// processes were idle.
/// </summary>
/// <param name="InsertBackToBackMs">One durable single-row INSERT (autocommit, fsync), sent right after the previous one.</param>
/// <param name="InsertAfterIdleMs">The same INSERT after 15 ms idle (<c>\sleep 15 ms</c>), the gap before each POST in section 1.</param>
/// <param name="SelectAfterIdleMs"><c>SELECT 1</c> after 15 ms idle: the round trip without a commit to flush.</param>
internal sealed record CommitFloor(double InsertBackToBackMs, double InsertAfterIdleMs, double SelectAfterIdleMs)
{
    /// <summary>The idle gap of the after-idle scripts, as section 1 waits before each POST.</summary>
    public const int IdleMs = 15;

    /// <summary>
    /// Measures the three statements, <paramref name="seconds"/> each, on a scratch table
    /// <c>bench_floor</c> created before and dropped after.
    /// </summary>
    /// <exception cref="InvalidOperationException">psql or pgbench failed.</exception>
    public static async Task<CommitFloor> MeasureAsync(PostgresTools postgres, string home, int seconds, CancellationToken cancellationToken)
    {
        await postgres.PsqlAsync("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, payload text, at timestamptz DEFAULT now())", cancellationToken);
        try
        {
            const string insert = "INSERT INTO bench_floor (payload) VALUES ('agent.ping');\n";
            var backToBack = await ScriptAsync(home, "bench_floor_insert.sql", insert, cancellationToken);
            var insertAfterIdle = await ScriptAsync(home, "bench_floor_insert_after_idle.sql", $"\\sleep {IdleMs} ms\n" + insert, cancellationToken);
            var selectAfterIdle = await ScriptAsync(home, "bench_floor_select_after_idle.sql", $"\\sleep {IdleMs} ms\nSELECT 1;\n", cancellationToken);
            return new CommitFloor(
                await postgres.StatementLatencyAsync(backToBack, "INSERT", seconds, cancellationToken),
                await postgres.StatementLatencyAsync(insertAfterIdle, "INSERT", seconds, cancellationToken),
                await postgres.StatementLatencyAsync(selectAfterIdle, "SELECT", seconds, cancellationToken));
        }
        finally
        {
            await postgres.PsqlAsync("DROP TABLE IF EXISTS bench_floor", cancellationToken);
        }
    }

    private static async Task<string> ScriptAsync(string home, string name, string text, CancellationToken cancellationToken)
    {
        var path = Path.Combine(home, name);
        await File.WriteAllTextAsync(path, text, cancellationToken);
        return path;
    }
}
