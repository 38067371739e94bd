using Google.Protobuf.WellKnownTypes;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Telemetry;

/// <summary>
/// Takes the telemetry sample carried by each Heartbeat (<c>HostStats</c>, DESIGN.md §4): CPU use
/// since the previous sample (from <c>/proc/stat</c> deltas), memory used = MemTotal − MemAvailable,
/// the 1-minute load and the real file systems' sizes. Thread-safe.
/// </summary>
internal sealed class HostStatsSampler(TimeProvider timeProvider)
{
    private readonly Lock gate = new();
    private (ulong Idle, ulong Total)? previous = ProcFs.ReadCpuTimes();

    /// <summary>Takes a sample now.</summary>
    public HostStats Sample()
    {
        var stats = new HostStats
        {
            At = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            CpuPercent = SampleCpuPercent(),
            Load1 = ProcFs.ReadLoad1(),
        };
        var total = ProcFs.ReadMemInfoBytes("MemTotal") ?? 0;
        var available = ProcFs.ReadMemInfoBytes("MemAvailable") ?? ProcFs.ReadMemInfoBytes("MemFree") ?? 0;
        stats.MemoryTotalBytes = total;
        stats.MemoryUsedBytes = Math.Max(0, total - available);
        foreach (var (mount, usage) in MountTable.ReadRealFileSystems())
        {
            stats.Disks.Add(new DiskUsage { Mount = mount.MountPoint, TotalBytes = usage.TotalBytes, FreeBytes = usage.FreeBytes });
        }

        return stats;
    }

    private double SampleCpuPercent()
    {
        var current = ProcFs.ReadCpuTimes();
        lock (gate)
        {
            var before = previous;
            previous = current;
            if (current is not { } now || before is not { } then || now.Total <= then.Total)
            {
                return 0;
            }

            var total = (double)(now.Total - then.Total);
            var idle = now.Idle >= then.Idle ? now.Idle - then.Idle : 0;
            return Math.Round(Math.Clamp(100 * (1 - (idle / total)), 0, 100), 1);
        }
    }
}
