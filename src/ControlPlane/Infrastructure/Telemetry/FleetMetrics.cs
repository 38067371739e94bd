using System.Diagnostics.Metrics;
using System.Text.Json;

namespace Ops.ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// The fleet's latest host samples as gauges of the <c>Ops.ControlPlane</c> meter (DESIGN.md §10),
/// one series per online agent (tags <c>agent_id</c>, <c>hostname</c>, and <c>mount</c> for disks):
/// <c>ops.host.disk.free</c> (bytes), <c>ops.host.cpu.utilization</c> (percent, 0–100),
/// <c>ops.host.memory.used</c> (bytes), <c>ops.host.load1</c>. The snapshot is refreshed from
/// <c>agents.last_stats</c> by the lease reaper every few seconds, so every replica exports the
/// whole fleet whichever replica the agents talk to.
/// </summary>
internal sealed class FleetMetrics
{
    private volatile IReadOnlyList<Sample> _samples = [];

    public FleetMetrics()
    {
        OpsTelemetry.Meter.CreateObservableGauge("ops.host.disk.free", () => Disks(d => d.FreeBytes), "By", "Free bytes per mount of each agent's host (latest heartbeat).");
        OpsTelemetry.Meter.CreateObservableGauge("ops.host.disk.total", () => Disks(d => d.TotalBytes), "By", "Total bytes per mount of each agent's host (latest heartbeat).");
        OpsTelemetry.Meter.CreateObservableGauge("ops.host.cpu.utilization", () => Hosts(s => s.CpuPercent), "%", "CPU use of each agent's host, 0–100 (latest heartbeat).");
        OpsTelemetry.Meter.CreateObservableGauge("ops.host.memory.used", () => Hosts(s => s.MemoryUsedBytes), "By", "Memory used on each agent's host (latest heartbeat).");
        OpsTelemetry.Meter.CreateObservableGauge("ops.host.load1", () => Hosts(s => s.Load1), "{load}", "One-minute load average of each agent's host (latest heartbeat).");
    }

    /// <summary>Replaces the snapshot with the latest samples of online agents.</summary>
    /// <param name="samples">Agent id, hostname and the <c>last_stats</c> JSON written by Heartbeat (<c>ProtoJson.Stats</c>).</param>
    public void Update(IEnumerable<(Guid AgentId, string Hostname, string StatsJson)> samples)
    {
        var parsed = new List<Sample>();
        foreach (var (agentId, hostname, json) in samples)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                var root = document.RootElement;
                var disks = root.TryGetProperty("disks", out var d) && d.ValueKind == JsonValueKind.Array
                    ? d.EnumerateArray().Select(x => new Disk(Text(x, "mount"), Number(x, "freeBytes"), Number(x, "totalBytes"))).ToList()
                    : [];
                parsed.Add(new Sample(agentId.ToString(), hostname, Number(root, "cpuPercent"), Number(root, "memoryUsedBytes"), Number(root, "load1"), disks));
            }
            catch (JsonException)
            {
                // A sample the current code cannot read is skipped, not fatal to the scrape.
            }
        }

        _samples = parsed;
    }

    private IEnumerable<Measurement<double>> Hosts(Func<Sample, double> value) =>
        _samples.Select(s => new Measurement<double>(value(s), new KeyValuePair<string, object?>("agent_id", s.AgentId), new KeyValuePair<string, object?>("hostname", s.Hostname)));

    private IEnumerable<Measurement<double>> Disks(Func<Disk, double> value) =>
        _samples.SelectMany(s => s.Disks.Select(d => new Measurement<double>(
            value(d),
            new KeyValuePair<string, object?>("agent_id", s.AgentId),
            new KeyValuePair<string, object?>("hostname", s.Hostname),
            new KeyValuePair<string, object?>("mount", d.Mount))));

    private static double Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;

    private sealed record Sample(string AgentId, string Hostname, double CpuPercent, double MemoryUsedBytes, double Load1, IReadOnlyList<Disk> Disks);

    private sealed record Disk(string Mount, double FreeBytes, double TotalBytes);
}
