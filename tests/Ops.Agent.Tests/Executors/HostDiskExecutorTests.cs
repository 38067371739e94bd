using System.Text.Json;
using Ops.Agent.Executors;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Executors;

/// <summary><c>host.disk</c> through the real agent against the fake control plane.</summary>
public sealed class HostDiskExecutorTests : IAsyncLifetime
{
    private FakeControlPlane controlPlane = null!;
    private AgentHarness agent = null!;

    public async Task InitializeAsync()
    {
        controlPlane = await FakeControlPlane.StartAsync();
        agent = AgentHarness.Start(controlPlane);
    }

    public async Task DisposeAsync()
    {
        await agent.DisposeAsync();
        await controlPlane.DisposeAsync();
    }

    [Fact]
    public async Task Run_WithMinFreePercent100_FailsNamingTheMount()
    {
        var complete = await RunAsync("""{"paths": ["/"], "minFreePercent": 100}""");

        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.Contains("'/' has ", complete.Error, StringComparison.Ordinal);
        Assert.Contains("free", complete.Error, StringComparison.Ordinal);
        using var result = JsonDocument.Parse(complete.ResultJson);
        var mount = Assert.Single(result.RootElement.GetProperty("mounts").EnumerateArray());
        Assert.False(mount.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Run_WithMinFreeBytes0AndNoPaths_SucceedsListingRoot()
    {
        var complete = await RunAsync("""{"minFreeBytes": 0}""");

        Assert.Equal(JobOutcome.Succeeded, complete.Outcome);
        using var result = JsonDocument.Parse(complete.ResultJson);
        var root = Assert.Single(result.RootElement.GetProperty("mounts").EnumerateArray(), m => m.GetProperty("mount").GetString() == "/");
        Assert.True(root.GetProperty("totalBytes").GetInt64() > 0);
        Assert.InRange(root.GetProperty("freeBytes").GetInt64(), 0, root.GetProperty("totalBytes").GetInt64());
        Assert.InRange(root.GetProperty("freePercent").GetDouble(), 0, 100);
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("device").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("fsType").GetString()));
        Assert.DoesNotContain(result.RootElement.GetProperty("mounts").EnumerateArray(), m => m.GetProperty("fsType").GetString() is "proc" or "sysfs" or "tmpfs");

        var output = string.Concat(controlPlane.Requests<AppendOutputRequest>().Where(o => o.JobId == complete.JobId).SelectMany(o => o.Chunks).Select(c => c.Data.ToStringUtf8()));
        Assert.StartsWith("Filesystem", output, StringComparison.Ordinal);
        Assert.Contains("Mounted on", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithAMissingPath_FailsNamingIt()
    {
        var complete = await RunAsync("""{"paths": ["/no/such/dir"]}""");

        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.Contains("/no/such/dir", complete.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Statvfs_AgreesWithDriveInfo()
    {
        var drive = new DriveInfo("/");
        var usage = Ops.Agent.Telemetry.StatVfs.TryQuery("/", out _)!.Value;

        Assert.Equal(drive.TotalSize, usage.TotalBytes);
        Assert.InRange(usage.FreeBytes, drive.AvailableFreeSpace - (256L << 20), drive.AvailableFreeSpace + (256L << 20));
    }

    [Theory]
    [InlineData(512, "512B")]
    [InlineData(1536, "1.5K")]
    [InlineData(10L * 1024 * 1024 * 1024, "10G")]
    [InlineData(9_500_000_000, "8.8G")]
    public void HumanSize_FormatsLikeDfH(long bytes, string expected) => Assert.Equal(expected, HostDiskExecutor.HumanSize(bytes));

    private async Task<CompleteRequest> RunAsync(string parametersJson)
    {
        var job = Assignments.Create("host.disk", parametersJson);
        controlPlane.Enqueue(job);
        return await Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), "Complete");
    }
}
