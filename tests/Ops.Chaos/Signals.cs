using System.Diagnostics;
using System.Globalization;

namespace Ops.Chaos;

/// <summary>POSIX signals to one process id, through kill(1).</summary>
internal static class Signals
{
    public static void Send(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) ?? throw new InvalidOperationException("kill(1) did not start");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}");
        }
    }

    public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat");
}
