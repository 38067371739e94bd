using System.Globalization;
using Ops.Agent.Telemetry;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>host.stats</c> (seed 003's <c>docker stats</c>, seed 000's CPU and memory alerts): one
/// sample of the host's load. CPU % is the busy share of all CPUs between two reads of
/// <c>/proc/stat</c> <c>sampleMs</c> apart (default 1,000 ms); memory and swap from
/// <c>/proc/meminfo</c> (used = MemTotal − MemAvailable); load averages from <c>/proc/loadavg</c>;
/// disks as <c>host.disk</c> lists them; the five processes with the largest resident set from
/// <c>/proc/&lt;pid&gt;/statm</c>. Result <c>{cpuPercent, memory: {totalBytes, usedBytes,
/// availableBytes, usedPercent}, swap: {totalBytes, usedBytes}, load1, load5, load15, disks:
/// [{mount, totalBytes, freeBytes}], topProcesses: [{pid, name, rssBytes}]}</c>.
/// </summary>
internal sealed class HostStatsExecutor(TimeProvider timeProvider) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.HostStats.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (HostStatsParameters)job.Parameters;
        var before = ProcFs.ReadCpuTimes();
        await Task.Delay(TimeSpan.FromMilliseconds(parameters.SampleMs ?? 1000), timeProvider, cancellationToken).ConfigureAwait(false);
        var after = ProcFs.ReadCpuTimes();
        double cpu = 0;
        if (before is { } b && after is { } a && a.Total > b.Total)
        {
            cpu = Math.Round(100.0 * (1 - ((double)(a.Idle - b.Idle) / (a.Total - b.Total))), 1);
        }

        var total = ProcFs.ReadMemInfoBytes("MemTotal") ?? 0;
        var available = ProcFs.ReadMemInfoBytes("MemAvailable") ?? 0;
        var swapTotal = ProcFs.ReadMemInfoBytes("SwapTotal") ?? 0;
        var swapFree = ProcFs.ReadMemInfoBytes("SwapFree") ?? 0;
        var loads = ProcFs.ReadTextOrEmpty("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Take(3)
            .Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : 0)
            .Concat([0d, 0d, 0d])
            .ToArray();
        var disks = MountTable.ReadRealFileSystems().Select(d => new Disk(d.Mount.MountPoint, d.Usage.TotalBytes, d.Usage.FreeBytes)).ToList();
        var top = TopProcesses(5);
        var memory = new Memory(total, total - available, available, total > 0 ? Math.Round(100.0 * (total - available) / total, 1) : 0);
        var stats = new Stats(cpu, memory, new Swap(swapTotal, swapTotal - swapFree), loads[0], loads[1], loads[2], disks, top);

        job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"cpu {cpu}%  memory {HostDiskExecutor.HumanSize(memory.UsedBytes)}/{HostDiskExecutor.HumanSize(total)} ({memory.UsedPercent}%)  swap {HostDiskExecutor.HumanSize(stats.Swap.UsedBytes)}/{HostDiskExecutor.HumanSize(swapTotal)}  load {loads[0]} {loads[1]} {loads[2]}"));
        foreach (var disk in disks)
        {
            job.Output.Stdout($"disk {disk.Mount}: {HostDiskExecutor.HumanSize(disk.FreeBytes)} free of {HostDiskExecutor.HumanSize(disk.TotalBytes)}");
        }

        foreach (var process in top)
        {
            job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"process {process.Pid} {process.Name}: {HostDiskExecutor.HumanSize(process.RssBytes)} resident"));
        }

        return ExecutorResult.Success(stats);
    }

    /// <summary>The <paramref name="count"/> processes with the largest resident set (statm field 2 × page size).</summary>
    private static List<ProcessUsage> TopProcesses(int count)
    {
        var pageSize = Environment.SystemPageSize;
        var all = new List<ProcessUsage>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var statm = ProcFs.ReadTextOrEmpty(directory + "/statm").Split(' ');
            if (statm.Length > 1 && long.TryParse(statm[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages) && pages > 0)
            {
                all.Add(new ProcessUsage(pid, ProcFs.ReadTextOrEmpty(directory + "/comm").Trim(), pages * pageSize));
            }
        }

        return all.OrderByDescending(p => p.RssBytes).Take(count).ToList();
    }

    internal sealed record Memory(long TotalBytes, long UsedBytes, long AvailableBytes, double UsedPercent);

    internal sealed record Swap(long TotalBytes, long UsedBytes);

    internal sealed record Disk(string Mount, long TotalBytes, long FreeBytes);

    internal sealed record ProcessUsage(int Pid, string Name, long RssBytes);

    internal sealed record Stats(
        double CpuPercent, Memory Memory, Swap Swap, double Load1, double Load5, double Load15, IReadOnlyList<Disk> Disks, IReadOnlyList<ProcessUsage> TopProcesses);
}
