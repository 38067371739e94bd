using System.Globalization;

namespace Ops.Benchmarks;

/// <summary>Process and machine facts read from /proc (clock ticks assumed 100 Hz, as on every Linux build we run).</summary>
internal static class ProcStat
{
    private const double TicksPerSecond = 100.0;

    /// <summary>VmRSS of <paramref name="pid"/> in bytes.</summary>
    public static long RssBytes(int pid) => StatusKiB(pid, "VmRSS:") * 1024;

    /// <summary>VmHWM (peak resident set) of <paramref name="pid"/> in bytes.</summary>
    public static long PeakRssBytes(int pid) => StatusKiB(pid, "VmHWM:") * 1024;

    /// <summary>Number of threads of <paramref name="pid"/>.</summary>
    public static int Threads(int pid) => (int)StatusKiB(pid, "Threads:");

    /// <summary>
    /// User + system CPU time of <paramref name="pid"/> (from /proc/&lt;pid&gt;/stat), in seconds;
    /// with <paramref name="withWaitedChildren"/> also that of its exited, waited-for children (cutime + cstime).
    /// </summary>
    public static double CpuSeconds(int pid, bool withWaitedChildren = false)
    {
        var fields = StatFields(pid) ?? throw new InvalidOperationException($"process {pid} is gone");
        var ticks = Long(fields[11]) + Long(fields[12]);
        if (withWaitedChildren)
        {
            ticks += Long(fields[13]) + Long(fields[14]);
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of <paramref name="rootPid"/> and its live children, per pid; the root also counts
    /// its waited-for children (cutime + cstime), so backends that exit between samples are not lost.
    /// </summary>
    public static Dictionary<int, double> TreeCpuSeconds(int rootPid)
    {
        var result = new Dictionary<int, double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var fields = StatFields(pid);
            if (fields is null)
            {
                continue;
            }

            if (pid == rootPid)
            {
                result[pid] = (Long(fields[11]) + Long(fields[12]) + Long(fields[13]) + Long(fields[14])) / TicksPerSecond;
            }
            else if (Long(fields[1]) == rootPid)
            {
                result[pid] = (Long(fields[11]) + Long(fields[12])) / TicksPerSecond;
            }
        }

        return result;
    }

    /// <summary>
    /// True when <paramref name="pid"/> is a PostgreSQL client backend of user postgres, any database
    /// (<c>postgres: postgres &lt;db&gt; …</c>: ops, or graphile during section 7), not a background process.
    /// </summary>
    public static bool IsPostgresClientBackend(int pid)
    {
        try
        {
            var title = File.ReadAllText($"/proc/{pid}/cmdline");
            return title.StartsWith("postgres: postgres ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The machine's total and idle (idle + iowait) CPU time from the first line of /proc/stat, in
    /// seconds summed over cores; total = user + nice + system + idle + iowait + irq + softirq (steal left out).
    /// </summary>
    public static (double Total, double Idle) MachineCpuSeconds()
    {
        var parts = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = parts.Skip(1).Take(7).Select(Long).ToArray();
        return (values.Sum() / TicksPerSecond, (values[3] + values[4]) / TicksPerSecond);
    }

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    public static long MemoryTotalBytes() =>
        long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private static long StatusKiB(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>The fields of /proc/&lt;pid&gt;/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime; null if the process is gone.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}
