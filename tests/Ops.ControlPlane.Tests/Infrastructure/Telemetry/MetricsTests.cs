using System.Net;
using Google.Protobuf.WellKnownTypes;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Telemetry;

/// <summary>DESIGN.md §10: <c>GET /metrics</c> exposes our meters and the fleet's latest host samples.</summary>
public sealed class MetricsTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    [Fact]
    public async Task Metrics_AfterAHeartbeatWithASample_ShowTheAgentsDiskFreeAndOurMeters()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await client.HeartbeatAsync(new HeartbeatRequest
        {
            Stats = new HostStats
            {
                At = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                CpuPercent = 12.5,
                MemoryUsedBytes = 1_000_000,
                MemoryTotalBytes = 4_000_000,
                Load1 = 0.5,
                Disks = { new DiskUsage { Mount = "/srv/metrics-test", TotalBytes = 2_000_000_000, FreeBytes = 123_456_789 } },
            },
        });
        var anonymous = factory.CreateClient(role: null);

        string text = string.Empty;
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var response = await anonymous.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
            if (text.Contains("/srv/metrics-test", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(200);
        }

        var disk = text.Split('\n').FirstOrDefault(l => l.StartsWith("ops_host_disk_free", StringComparison.Ordinal) && l.Contains("/srv/metrics-test", StringComparison.Ordinal));
        Assert.NotNull(disk);
        Assert.Contains($"agent_id=\"{agentId}\"", disk, StringComparison.Ordinal);
        Assert.EndsWith(" 123456789", disk.Split(" # ")[0].TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("ops_agents_online", text, StringComparison.Ordinal);
        Assert.Contains("ops_queue_depth", text, StringComparison.Ordinal);
        Assert.Contains("ops_host_cpu_utilization", text, StringComparison.Ordinal);
    }
}
