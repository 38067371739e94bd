using System.Globalization;
using System.Runtime.InteropServices;

namespace Ops.Agent.Execution;

/// <summary>
/// Signals for process groups and trees through libc <c>kill(2)</c> (.NET's <c>Process.Kill</c>
/// has no process-group form) and the parent links of <c>/proc/&lt;pid&gt;/stat</c>.
/// </summary>
internal static partial class ProcessSignals
{
    /// <summary>SIGTERM (15): asks a process to stop.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGKILL (9): stops a process at once.</summary>
    public const int SigKill = 9;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="processGroupId"/> (<c>kill(-pgid, sig)</c>).</summary>
    /// <returns>True when at least one process was signalled; false when the group is empty (ESRCH) or not ours.</returns>
    public static bool SignalGroup(int processGroupId, int signal) => processGroupId > 1 && kill(-processGroupId, signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to one process.</summary>
    /// <returns>True when it was signalled.</returns>
    public static bool Signal(int processId, int signal) => processId > 1 && kill(processId, signal) == 0;

    /// <summary>
    /// The live descendants of <paramref name="processId"/> (children, grandchildren…), found by
    /// walking the parent pids of <c>/proc/*/stat</c>. Processes already reparented to init are
    /// not found; the process-group signal covers those that stayed in the group.
    /// </summary>
    public static IReadOnlyList<int> Descendants(int processId)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in EnumerateProcDirectories())
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ReadParentAndState(pid) is not { } info || info.State == 'Z')
            {
                continue;
            }

            if (!children.TryGetValue(info.ParentId, out var list))
            {
                children[info.ParentId] = list = [];
            }

            list.Add(pid);
        }

        var result = new List<int>();
        var queue = new Queue<int>();
        queue.Enqueue(processId);
        while (queue.Count > 0 && result.Count < 10_000)
        {
            if (children.TryGetValue(queue.Dequeue(), out var list))
            {
                foreach (var child in list)
                {
                    result.Add(child);
                    queue.Enqueue(child);
                }
            }
        }

        return result;
    }

    /// <summary>True when <paramref name="processId"/> exists and is not a zombie (state Z: exited, waiting to be reaped).</summary>
    public static bool IsAlive(int processId) => ReadParentAndState(processId) is { State: not 'Z' and not 'X' };

    /// <summary>
    /// Parses <c>/proc/&lt;pid&gt;/stat</c>: <c>pid (comm) state ppid …</c>; comm may contain spaces and
    /// parentheses, so fields are read after the last ')'.
    /// </summary>
    private static (int ParentId, char State)? ReadParentAndState(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 4 >= stat.Length)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ', 3);
        return fields.Length >= 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            ? (parent, fields[0][0])
            : null;
    }

    private static IEnumerable<string> EnumerateProcDirectories()
    {
        try
        {
            return Directory.GetDirectories("/proc");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
