namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// The metrics host rules watch (DESIGN.md §15), read from the agent's latest heartbeat sample
/// (<c>HostStats</c>, DESIGN.md §4): <c>cpu_percent</c> (0–100), <c>memory_used_percent</c>
/// (used/total × 100), <c>load1</c>, <c>disk_free_bytes</c> and <c>disk_free_percent</c> per
/// mount, and <c>agent_offline</c> (seconds since the agent was last seen, matching once it is
/// past the offline threshold of <c>Agents</c> options).
/// </summary>
internal static class AlertMetricNames
{
    public const string CpuPercent = "cpu_percent";
    public const string MemoryUsedPercent = "memory_used_percent";
    public const string Load1 = "load1";
    public const string DiskFreeBytes = "disk_free_bytes";
    public const string DiskFreePercent = "disk_free_percent";
    public const string AgentOffline = "agent_offline";

    public static IReadOnlyList<string> All { get; } = [CpuPercent, MemoryUsedPercent, Load1, DiskFreeBytes, DiskFreePercent, AgentOffline];

    public static bool IsPerMount(string metric) => metric is DiskFreeBytes or DiskFreePercent;
}
