using System.Globalization;

namespace Ops.Agent.Telemetry;

/// <summary>Small readers of Linux <c>/proc</c> and <c>/etc</c> files (proc(5), os-release(5)).</summary>
internal static class ProcFs
{
    /// <summary>A <c>/proc/meminfo</c> field in bytes (the file gives kB), or null when absent.</summary>
    /// <param name="field">Field name without the colon, e.g. <c>MemTotal</c>, <c>MemAvailable</c>.</param>
    public static long? ReadMemInfoBytes(string field)
    {
        foreach (var line in ReadLinesOrEmpty("/proc/meminfo"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !line.AsSpan(0, colon).SequenceEqual(field))
            {
                continue;
            }

            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return parts.Length > 1 && parts[1] == "kB" ? value * 1024 : value;
            }
        }

        return null;
    }

    /// <summary>
    /// The aggregate <c>cpu</c> line of <c>/proc/stat</c> as (idle, total) jiffies: idle = idle + iowait,
    /// total = user + nice + system + idle + iowait + irq + softirq + steal (guest time is already in user).
    /// </summary>
    public static (ulong Idle, ulong Total)? ReadCpuTimes()
    {
        foreach (var line in ReadLinesOrEmpty("/proc/stat"))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                continue;
            }

            var values = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Take(8)
                .Select(v => ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
                .ToArray();
            if (values.Length < 4)
            {
                return null;
            }

            var idle = values[3] + (values.Length > 4 ? values[4] : 0);
            ulong total = 0;
            foreach (var value in values)
            {
                total += value;
            }

            return (idle, total);
        }

        return null;
    }

    /// <summary>The boot time from <c>/proc/stat</c> <c>btime</c> (seconds since the Unix epoch), or null.</summary>
    public static DateTimeOffset? ReadBootTime()
    {
        foreach (var line in ReadLinesOrEmpty("/proc/stat"))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }

        return null;
    }

    /// <summary>The 1-minute load average, the first field of <c>/proc/loadavg</c>, or 0.</summary>
    public static double ReadLoad1()
    {
        var text = ReadTextOrEmpty("/proc/loadavg");
        var first = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : 0;
    }

    /// <summary>The kernel release (<c>uname -r</c>) from <c>/proc/sys/kernel/osrelease</c>, or <see cref="Environment.OSVersion"/>.</summary>
    public static string ReadKernelRelease()
    {
        var release = ReadTextOrEmpty("/proc/sys/kernel/osrelease").Trim();
        return release.Length > 0 ? release : Environment.OSVersion.VersionString;
    }

    /// <summary><c>PRETTY_NAME</c> from <c>/etc/os-release</c> (else <c>/usr/lib/os-release</c>), unquoted, or "Linux".</summary>
    public static string ReadOsPrettyName()
    {
        foreach (var path in new[] { "/etc/os-release", "/usr/lib/os-release" })
        {
            foreach (var line in ReadLinesOrEmpty(path))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                {
                    return line["PRETTY_NAME=".Length..].Trim().Trim('"', '\'');
                }
            }
        }

        return "Linux";
    }

    /// <summary>The lines of a file, or none when it cannot be read.</summary>
    public static IEnumerable<string> ReadLinesOrEmpty(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The text of a file, or empty when it cannot be read.</summary>
    public static string ReadTextOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
