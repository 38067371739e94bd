using System.Text.Json;
using Ops.Agent.Executors;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Executors;

public sealed class HostKindsTests
{
    private readonly RecordingOutput output = new();

    [Fact]
    public async Task HostFacts_ReportsInventoryFromProc()
    {
        var result = await new HostFactsExecutor(TimeProvider.System).ExecuteAsync(Job("host.facts", new HostFactsParameters()), CancellationToken.None);

        Assert.True(result.Succeeded);
        using var json = Json(result);
        Assert.Equal(Environment.MachineName, json.RootElement.GetProperty("hostname").GetString());
        Assert.Equal(Environment.ProcessorCount, json.RootElement.GetProperty("cpuCount").GetInt32());
        Assert.True(json.RootElement.GetProperty("memoryTotalBytes").GetInt64() > 0);
        Assert.True(json.RootElement.GetProperty("uptimeSeconds").GetInt64() >= 0);
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("kernel").GetString()));
        Assert.Contains(output.Lines, l => l.Line.StartsWith("Kernel: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HostStats_SamplesCpuMemoryLoadDisksAndTopProcesses()
    {
        var result = await new HostStatsExecutor(TimeProvider.System).ExecuteAsync(Job("host.stats", new HostStatsParameters(100)), CancellationToken.None);

        Assert.True(result.Succeeded);
        using var json = Json(result);
        var root = json.RootElement;
        Assert.InRange(root.GetProperty("cpuPercent").GetDouble(), 0, 100);
        Assert.True(root.GetProperty("memory").GetProperty("totalBytes").GetInt64() > 0);
        Assert.True(root.GetProperty("load1").GetDouble() >= 0);
        Assert.NotEqual(0, root.GetProperty("disks").GetArrayLength());
        var top = root.GetProperty("topProcesses").EnumerateArray().ToList();
        Assert.InRange(top.Count, 1, 5);
        Assert.True(top[0].GetProperty("rssBytes").GetInt64() >= top[^1].GetProperty("rssBytes").GetInt64());
    }

    [Fact]
    public async Task HostStats_Cancelled_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new HostStatsExecutor(TimeProvider.System).ExecuteAsync(Job("host.stats", new HostStatsParameters(60_000)), cancelled.Token));
    }

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private JobContext Job(string kind, object parameters) => new("job-1", "op-1", kind, 1, parameters, output, null);
}
