using System.Text;

namespace Ops.Agent.Telemetry;

/// <summary>
/// The host's mounts from <c>/proc/self/mounts</c>, and which of them are "real" file systems
/// worth reporting (what <c>df</c> shows by default): pseudo and virtual file systems (proc,
/// sysfs, tmpfs, devtmpfs, cgroup*, …) are skipped; overlay (containers) counts as real.
/// </summary>
internal static class MountTable
{
    /// <summary>The file consulted.</summary>
    public const string MountsPath = "/proc/self/mounts";

    /// <summary>File system types that hold no persistent disk space (from Linux /proc/filesystems "nodev" types).</summary>
    public static IReadOnlySet<string> PseudoFileSystems { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs",
        "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "autofs", "binfmt_misc", "efivarfs",
        "ramfs", "rpc_pipefs", "nsfs", "selinuxfs", "squashfs", "nfsd", "devfs", "fuse.lxcfs", "fuse.gvfsd-fuse",
        "fuse.portal", "fuse.snapfuse", "sockfs", "pipefs", "zsmalloc",
    };

    /// <summary>Every mount, in mount order.</summary>
    public static IReadOnlyList<MountEntry> ReadAll()
    {
        var entries = new List<MountEntry>();
        foreach (var line in File.ReadLines(MountsPath))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 3)
            {
                entries.Add(new MountEntry(Unescape(fields[0]), Unescape(fields[1]), fields[2]));
            }
        }

        return entries;
    }

    /// <summary>
    /// The real file systems with their usage: pseudo types and zero-sized file systems skipped,
    /// one entry per mount point (the last mount wins, as it hides the others), and one per file
    /// system (bind mounts of the same file system keep the shortest mount point), sorted by mount point.
    /// </summary>
    public static IReadOnlyList<(MountEntry Mount, StatVfs.Usage Usage)> ReadRealFileSystems()
    {
        var byMountPoint = new Dictionary<string, MountEntry>(StringComparer.Ordinal);
        foreach (var entry in ReadAll())
        {
            if (!PseudoFileSystems.Contains(entry.FileSystemType))
            {
                byMountPoint[entry.MountPoint] = entry;
            }
        }

        var byFileSystem = new Dictionary<(string, string, ulong), (MountEntry Mount, StatVfs.Usage Usage)>();
        foreach (var entry in byMountPoint.Values.OrderBy(e => e.MountPoint.Length).ThenBy(e => e.MountPoint, StringComparer.Ordinal))
        {
            if (StatVfs.TryQuery(entry.MountPoint, out _) is not { TotalBytes: > 0 } usage)
            {
                continue;
            }

            byFileSystem.TryAdd((entry.Device, entry.FileSystemType, usage.FileSystemId), (entry, usage));
        }

        return byFileSystem.Values.OrderBy(v => v.Mount.MountPoint, StringComparer.Ordinal).ToList();
    }

    /// <summary>The mount holding <paramref name="fullPath"/>: the longest mount point that is a prefix of it.</summary>
    public static MountEntry? FindMountOf(string fullPath, IReadOnlyList<MountEntry> mounts)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        MountEntry? best = null;
        foreach (var mount in mounts)
        {
            var point = mount.MountPoint;
            var contains = point == "/"
                || fullPath == point
                || fullPath.StartsWith(point.EndsWith('/') ? point : point + "/", StringComparison.Ordinal);
            if (contains && (best is null || point.Length >= best.MountPoint.Length))
            {
                best = mount;
            }
        }

        return best;
    }

    /// <summary>Decodes fstab(5) octal escapes such as <c>\040</c> (space).</summary>
    public static string Unescape(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits)
    {
        foreach (var c in digits)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }
        }

        return true;
    }
}
