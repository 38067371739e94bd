using System.Text.Json;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// What a host rule sees in an agent's latest sample (the camelCase <c>HostStats</c> JSON stored in
/// <c>agents.last_stats</c>): one observation per agent, or one per mount for disk metrics. No
/// observation when the sample lacks the metric (no sample yet, no such mount, zero totals).
/// </summary>
internal static class HostRuleEvaluation
{
    public static IReadOnlyList<AlertObservation> Observe(
        AlertRuleRow rule, Guid agentId, string? statsJson, DateTimeOffset? lastSeenAt, DateTimeOffset now, TimeSpan offlineAfter)
    {
        var subject = agentId.ToString();
        if (rule.Metric == AlertMetricNames.AgentOffline)
        {
            if (lastSeenAt is not { } seen)
            {
                return [];
            }

            var silence = (now - seen).TotalSeconds;
            return [new AlertObservation(subject, null, Math.Round(silence, 3), now - seen >= offlineAfter)];
        }

        if (statsJson is null)
        {
            return [];
        }

        using var document = JsonDocument.Parse(statsJson);
        var stats = document.RootElement;
        var observations = new List<AlertObservation>();
        switch (rule.Metric)
        {
            case AlertMetricNames.CpuPercent:
                Add(observations, rule, subject, null, Number(stats, "cpuPercent"));
                break;
            case AlertMetricNames.Load1:
                Add(observations, rule, subject, null, Number(stats, "load1"));
                break;
            case AlertMetricNames.MemoryUsedPercent:
                var total = Number(stats, "memoryTotalBytes");
                var used = Number(stats, "memoryUsedBytes");
                Add(observations, rule, subject, null, total is > 0 && used is { } u ? Math.Round(100 * u / total.Value, 3) : null);
                break;
            case AlertMetricNames.DiskFreeBytes or AlertMetricNames.DiskFreePercent:
                if (stats.TryGetProperty("disks", out var disks) && disks.ValueKind == JsonValueKind.Array)
                {
                    foreach (var disk in disks.EnumerateArray())
                    {
                        var mount = disk.TryGetProperty("mount", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : null;
                        if (mount is null || (rule.Mount is not null && rule.Mount != mount))
                        {
                            continue;
                        }

                        var free = Number(disk, "freeBytes");
                        var size = Number(disk, "totalBytes");
                        var value = rule.Metric == AlertMetricNames.DiskFreeBytes
                            ? free
                            : free is { } f && size is > 0 ? Math.Round(100 * f / size.Value, 3) : null;
                        Add(observations, rule, $"{subject}|{mount}", mount, value);
                    }
                }

                break;
        }

        return observations;
    }

    private static void Add(List<AlertObservation> observations, AlertRuleRow rule, string subject, string? mount, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            var matches = rule.Op == "<" ? v < rule.Threshold : v > rule.Threshold;
            observations.Add(new AlertObservation(subject, mount, v, matches));
        }
    }

    private static double? Number(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : null;
}
