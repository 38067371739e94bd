using System.Globalization;

namespace Ops.Benchmarks;

/// <summary>
/// Cluster counters read at the start and end of a window, to count what PostgreSQL did per job:
/// write transactions from the next transaction id (<c>pg_snapshot_xmax(pg_current_snapshot())</c>,
/// exact and cluster-wide: every transaction that wrote took one), WAL bytes from
/// <c>pg_current_wal_lsn()</c> (exact, cluster-wide) and all transactions of one database
/// (<c>xact_commit + xact_rollback</c> of <c>pg_stat_database</c>, which backends flush at most
/// once a second, so that one is ±1 s of the window).
/// </summary>
/// <param name="NextXid">The next transaction id to be assigned.</param>
/// <param name="WalBytes">The current WAL insert position, in bytes from 0/0.</param>
/// <param name="Transactions">Committed plus rolled-back transactions of the database read so far.</param>
internal sealed record PgCounters(long NextXid, long WalBytes, long Transactions)
{
    /// <summary>The SQL that reads the three counters for database <paramref name="database"/> (a plain identifier).</summary>
    public static string Sql(string database) =>
        $"SELECT pg_snapshot_xmax(pg_current_snapshot())::text || '|' || (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint || '|' || " +
        $"(SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{database}')";

    /// <summary>Parses the <c>xid|wal|transactions</c> line of <see cref="Sql"/>.</summary>
    public static PgCounters Parse(string line)
    {
        var parts = line.Trim().Split('|');
        return new PgCounters(
            long.Parse(parts[0], CultureInfo.InvariantCulture),
            long.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>What happened between <paramref name="start"/> and this reading, divided by <paramref name="jobs"/>.</summary>
    public PgPerJob PerJobSince(PgCounters start, double jobs) =>
        jobs <= 0
            ? new PgPerJob(double.NaN, double.NaN, double.NaN)
            : new PgPerJob(
                (NextXid - start.NextXid) / jobs,
                (Transactions - start.Transactions) / jobs,
                (WalBytes - start.WalBytes) / jobs);
}

/// <summary>PostgreSQL work per job over a window (see <see cref="PgCounters"/>).</summary>
/// <param name="WriteTransactions">Transaction ids assigned ÷ jobs: transactions that wrote, exact (includes a few of the sampler's and background loops').</param>
/// <param name="Transactions">All transactions of the database ÷ jobs, from pg_stat_database (±1 s of the window).</param>
/// <param name="WalBytes">WAL bytes written ÷ jobs.</param>
internal sealed record PgPerJob(double WriteTransactions, double Transactions, double WalBytes);
