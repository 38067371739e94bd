using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Ops.Agent.Telemetry;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>host.disk</c> (seed 000: <c>df -h</c> and the "free space below 10 GB" alert): reports every
/// requested path's file system, or every real mount when no path is given, with sizes from
/// <c>statvfs(3)</c> as <c>df</c> computes them. FAILED when any file system is below
/// <c>minFreeBytes</c> or <c>minFreePercent</c> (the error names each such mount and its free
/// space) or a path cannot be checked. Output: a <c>df -h</c>-like table on stdout.
/// Result: <c>{"mounts": [{path?, mount, device, fsType, totalBytes, freeBytes, usedBytes, freePercent, ok}],
/// "minFreeBytes", "minFreePercent"}</c>; freePercent = free / (used + free) · 100, the complement of df's Use%.
/// </summary>
internal sealed class HostDiskExecutor : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.HostDisk.Name;

    /// <inheritdoc />
    public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        cancellationToken.ThrowIfCancellationRequested();
        var parameters = (HostDiskParameters)job.Parameters;
        var reports = new List<MountReport>();
        var problems = new List<string>();

        if (parameters.Paths is { Count: > 0 } paths)
        {
            var mounts = MountTable.ReadAll();
            foreach (var path in paths)
            {
                var fullPath = Path.GetFullPath(path);
                if (StatVfs.TryQuery(fullPath, out var errno) is not { } usage)
                {
                    problems.Add($"cannot check '{path}': {DescribeErrno(errno)}");
                    continue;
                }

                var mount = MountTable.FindMountOf(fullPath, mounts) ?? new MountEntry("?", "/", "?");
                reports.Add(Report(path, mount, usage, parameters));
            }
        }
        else
        {
            foreach (var (mount, usage) in MountTable.ReadRealFileSystems())
            {
                reports.Add(Report(null, mount, usage, parameters));
            }
        }

        WriteTable(job.Output, reports);
        foreach (var report in reports.Where(r => !r.Ok))
        {
            problems.Add(
                $"'{report.Mount}' has {HumanSize(report.FreeBytes)} free ({report.FreePercent.ToString("0.0", CultureInfo.InvariantCulture)}%), "
                + $"below {Thresholds(parameters)}");
        }

        var result = new DiskResult(reports, parameters.MinFreeBytes, parameters.MinFreePercent);
        if (problems.Count > 0)
        {
            var error = string.Join("; ", problems);
            job.Output.Stderr(error);
            return Task.FromResult(ExecutorResult.Failure(error, result));
        }

        return Task.FromResult(ExecutorResult.Success(result));
    }

    /// <summary>Formats bytes like <c>df -h</c>: powers of 1024, one decimal below 10 (e.g. <c>9.5G</c>, <c>120G</c>).</summary>
    public static string HumanSize(long bytes)
    {
        string[] units = ["B", "K", "M", "G", "T", "P", "E"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + "B"
            : (value < 10 ? value.ToString("0.0", CultureInfo.InvariantCulture) : Math.Round(value).ToString(CultureInfo.InvariantCulture)) + units[unit];
    }

    private static MountReport Report(string? path, MountEntry mount, StatVfs.Usage usage, HostDiskParameters parameters)
    {
        var usable = usage.UsedBytes + usage.FreeBytes;
        var freePercent = usable > 0 ? Math.Round(100.0 * usage.FreeBytes / usable, 2) : 100;
        var ok = (parameters.MinFreeBytes is not { } minBytes || usage.FreeBytes >= minBytes)
            && (parameters.MinFreePercent is not { } minPercent || freePercent >= minPercent);
        return new MountReport(
            path, mount.MountPoint, mount.Device, mount.FileSystemType, usage.TotalBytes, usage.FreeBytes, usage.UsedBytes, freePercent, ok);
    }

    private static string Thresholds(HostDiskParameters parameters)
    {
        var parts = new List<string>();
        if (parameters.MinFreeBytes is { } bytes)
        {
            parts.Add($"minFreeBytes {bytes.ToString(CultureInfo.InvariantCulture)} ({HumanSize(bytes)})");
        }

        if (parameters.MinFreePercent is { } percent)
        {
            parts.Add($"minFreePercent {percent.ToString(CultureInfo.InvariantCulture)}%");
        }

        return string.Join(" or ", parts);
    }

    private static void WriteTable(IJobOutput output, IReadOnlyList<MountReport> reports)
    {
        var rows = new List<string[]> { new[] { "Filesystem", "Type", "Size", "Used", "Avail", "Use%", "Mounted on", "Status" } };
        foreach (var r in reports)
        {
            var usePercent = 100 - r.FreePercent;
            rows.Add(
            [
                r.Device, r.FsType, HumanSize(r.TotalBytes), HumanSize(r.UsedBytes), HumanSize(r.FreeBytes),
                Math.Ceiling(usePercent).ToString(CultureInfo.InvariantCulture) + "%", r.Mount, r.Ok ? "ok" : "LOW",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(row => row[i].Length)).ToArray();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                var rightAligned = i is >= 2 and <= 5;
                line.Append(rightAligned ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i]));
                line.Append(i < row.Length - 1 ? "  " : string.Empty);
            }

            output.Stdout(line.ToString().TrimEnd());
        }
    }

    private static string DescribeErrno(int errno) => errno switch
    {
        2 => "no such file or directory",
        13 => "permission denied",
        20 => "a path component is not a directory",
        _ => $"statvfs failed with errno {errno.ToString(CultureInfo.InvariantCulture)}",
    };

    internal sealed record MountReport(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Path,
        string Mount,
        string Device,
        string FsType,
        long TotalBytes,
        long FreeBytes,
        long UsedBytes,
        double FreePercent,
        bool Ok);

    internal sealed record DiskResult(IReadOnlyList<MountReport> Mounts, long? MinFreeBytes, double? MinFreePercent);
}
