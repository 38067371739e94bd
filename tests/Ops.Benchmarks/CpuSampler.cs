using System.Diagnostics;

namespace Ops.Benchmarks;

/// <summary>
/// Takes a /proc snapshot at construction and turns it into <see cref="CpuUsage"/> on
/// <see cref="Stop"/>: the control plane, the PostgreSQL process tree, this process (with its
/// exited children, e.g. a pgbench run that ended in the window) and the whole machine.
/// </summary>
internal sealed class CpuSampler
{
    private readonly int _controlPlanePid;
    private readonly int _postmasterPid;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly double _cp;
    private readonly Dictionary<int, double> _pg;
    private readonly double _bench;
    private readonly (double Total, double Idle) _machine;

    /// <summary>Snapshots now.</summary>
    public CpuSampler(int controlPlanePid, int postmasterPid)
    {
        _controlPlanePid = controlPlanePid;
        _postmasterPid = postmasterPid;
        _cp = ProcStat.CpuSeconds(controlPlanePid);
        _pg = ProcStat.TreeCpuSeconds(postmasterPid);
        _bench = ProcStat.CpuSeconds(Environment.ProcessId, withWaitedChildren: true);
        _machine = ProcStat.MachineCpuSeconds();
    }

    /// <summary>Snapshots again and returns the usage since construction.</summary>
    public CpuUsage Stop()
    {
        var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var cp = ProcStat.CpuSeconds(_controlPlanePid) - _cp;
        var tree = ProcStat.TreeCpuSeconds(_postmasterPid);
        var pg = tree.Sum(p => p.Value - _pg.GetValueOrDefault(p.Key));
        var pgClients = tree.Where(p => ProcStat.IsPostgresClientBackend(p.Key)).Sum(p => p.Value - _pg.GetValueOrDefault(p.Key));
        var bench = ProcStat.CpuSeconds(Environment.ProcessId, withWaitedChildren: true) - _bench;
        var machine = ProcStat.MachineCpuSeconds();
        var busy = (machine.Total - _machine.Total) - (machine.Idle - _machine.Idle);
        return new CpuUsage(cp / seconds, pg / seconds, pgClients / seconds, bench / seconds, busy / seconds, seconds);
    }
}
