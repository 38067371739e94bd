using System.Runtime.InteropServices;
using Google.Protobuf.WellKnownTypes;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Telemetry;

/// <summary>Reads the host's inventory facts sent at enrollment (<c>HostFacts</c>, DESIGN.md §4).</summary>
internal static class HostFactsReader
{
    /// <summary>
    /// os = <c>/etc/os-release</c> PRETTY_NAME, kernel = <c>uname -r</c>, architecture as <c>uname -m</c>
    /// names (x86_64, aarch64, …), cpu_count = logical processors, memory_total_bytes from
    /// <c>/proc/meminfo</c>, boot_time from <c>/proc/stat</c> btime.
    /// </summary>
    public static HostFacts Read()
    {
        var facts = new HostFacts
        {
            Os = ProcFs.ReadOsPrettyName(),
            Kernel = ProcFs.ReadKernelRelease(),
            Architecture = UnameMachine(RuntimeInformation.OSArchitecture),
            CpuCount = Environment.ProcessorCount,
            MemoryTotalBytes = ProcFs.ReadMemInfoBytes("MemTotal") ?? 0,
        };
        if (ProcFs.ReadBootTime() is { } boot)
        {
            facts.BootTime = Timestamp.FromDateTimeOffset(boot);
        }

        return facts;
    }

    /// <summary>Maps a .NET architecture to the name <c>uname -m</c> prints.</summary>
    public static string UnameMachine(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.X86 => "i686",
        Architecture.Arm64 => "aarch64",
        Architecture.Arm => "armv7l",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        Architecture.LoongArch64 => "loongarch64",
        _ => architecture.ToString().ToLowerInvariant(),
    };
}
