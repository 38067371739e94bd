using System.Text.Json;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Json;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>Agent telemetry messages as the camelCase JSON shown by <c>GET /api/v1/agents/{id}</c>.</summary>
internal static class ProtoJson
{
    public static string Facts(HostFacts facts) => JsonSerializer.Serialize(new
    {
        os = facts.Os,
        kernel = facts.Kernel,
        architecture = facts.Architecture,
        cpuCount = facts.CpuCount,
        memoryTotalBytes = facts.MemoryTotalBytes,
        bootTime = facts.BootTime?.ToDateTimeOffset(),
    }, OpsJson.Default);

    public static string Stats(HostStats stats) => JsonSerializer.Serialize(new
    {
        at = stats.At?.ToDateTimeOffset(),
        cpuPercent = stats.CpuPercent,
        memoryUsedBytes = stats.MemoryUsedBytes,
        memoryTotalBytes = stats.MemoryTotalBytes,
        load1 = stats.Load1,
        disks = stats.Disks.Select(d => new { mount = d.Mount, totalBytes = d.TotalBytes, freeBytes = d.FreeBytes }),
    }, OpsJson.Default);
}
