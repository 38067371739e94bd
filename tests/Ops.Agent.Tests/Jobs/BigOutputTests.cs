using System.Globalization;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;
using Xunit.Abstractions;

namespace Ops.Agent.Tests.Jobs;

/// <summary>Runs alone so the process's memory reflects this job only.</summary>
[CollectionDefinition(nameof(BigOutputTests), DisableParallelization = true)]
public sealed class BigOutputCollection;

[Collection(nameof(BigOutputTests))]
public sealed class BigOutputTests(ITestOutputHelper log) : IAsyncLifetime
{
    private readonly string work = Directory.CreateTempSubdirectory("ops-flood-").FullName;
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync() => controlPlane = await FakeControlPlane.StartAsync();

    public async Task DisposeAsync()
    {
        await controlPlane.DisposeAsync();
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task A200MBOutput_KeepsMemoryFlat_AndStoresHeadAndTailWithinTheLimit()
    {
        await using var agent = AgentHarness.Start(controlPlane, ScriptRunTests.Policy(work));
        await Eventually.TrueAsync(() => controlPlane.OutstandingPulls > 0, "the agent to pull");
        GC.Collect();
        var baseline = ResidentBytes();
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentBytes());
                await Task.Delay(25, CancellationToken.None);
            }
        });
        var job = Assignments.Create("script.run", """{"script": "flood"}""");
        controlPlane.Enqueue(job);

        var complete = await Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), "Complete", TimeSpan.FromMinutes(2));
        await sampling.CancelAsync();
        await sampler;

        var chunks = controlPlane.Requests<AppendOutputRequest>().Where(o => o.JobId == job.JobId).SelectMany(o => o.Chunks).OrderBy(c => c.Seq).ToList();
        var stdout = string.Concat(chunks.Where(c => c.Stream == OutputStream.Stdout).Select(c => c.Data.ToStringUtf8()));
        var stored = chunks.Where(c => c.Stream != OutputStream.System).Sum(c => (long)c.Data.Length);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline RSS {baseline / 1048576} MiB, peak RSS {peak / 1048576} MiB (+{(peak - baseline) / 1048576} MiB); output_bytes {complete.OutputBytes}; stored {stored} bytes in {chunks.Count} chunks"));

        Assert.Equal(JobOutcome.Succeeded, complete.Outcome);
        Assert.True(complete.OutputTruncated);
        Assert.InRange(complete.OutputBytes, 200_000_022, 200_001_000); // the script's bytes plus the agent's note naming the command
        Assert.InRange(stored, 1_000_000, 1024 * 1024);
        Assert.StartsWith("FIRST-LINE\ny\ny\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("y\ny\n\nLAST-LINE\n", stdout, StringComparison.Ordinal);
        Assert.Contains(chunks, c => c.Stream == OutputStream.System && c.Data.ToStringUtf8().Contains("output truncated", StringComparison.Ordinal));
        Assert.True(peak - baseline < 100L * 1024 * 1024, $"RSS grew by {(peak - baseline) / 1048576} MiB");
    }

    private static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
