namespace Ops.Benchmarks;

/// <summary>CPU used over a window, in cores (CPU seconds ÷ wall seconds; 2.0 = both cores of this machine).</summary>
/// <param name="ControlPlane">The control-plane process.</param>
/// <param name="Postgres">The embedded postmaster and all its children.</param>
/// <param name="PostgresClients">Of <paramref name="Postgres"/>, the client backends (the control plane's connections, pgbench's, graphile-worker's).</param>
/// <param name="Bench">This process: load generator, simulated agents (and pgbench when it runs).</param>
/// <param name="MachineBusy">Every process on the machine (total − idle − iowait from /proc/stat).</param>
/// <param name="Seconds">The wall-clock window.</param>
/// <remarks><c>MachineBusy − ControlPlane − Postgres − Bench</c> is everything else: the kernel's own threads and other work on a shared machine.</remarks>
internal sealed record CpuUsage(double ControlPlane, double Postgres, double PostgresClients, double Bench, double MachineBusy, double Seconds)
{
    /// <summary>Machine CPU not used by the control plane, PostgreSQL or this process.</summary>
    public double Other => Math.Max(0, MachineBusy - ControlPlane - Postgres - Bench);
}
