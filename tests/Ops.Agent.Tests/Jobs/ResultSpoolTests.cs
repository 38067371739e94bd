using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Agent.Connection;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Jobs;

/// <summary>The result spool: no result lost while the control plane is away, none recorded twice.</summary>
public sealed class ResultSpoolTests : IAsyncLifetime
{
    private readonly string work = Directory.CreateTempSubdirectory("ops-spool-").FullName;
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync() => controlPlane = await FakeControlPlane.StartAsync();

    public async Task DisposeAsync()
    {
        await controlPlane.DisposeAsync();
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task ControlPlaneDown_WhileTheJobFinishes_TheResultArrivesExactlyOnceWhenItReturns()
    {
        var state = Path.Combine(work, "state");
        var release = Path.Combine(work, "release");
        var settings = ScriptRunTests.Policy(work);
        settings["Policy:Scripts:waiter:Argv:0"] = "/bin/bash";
        settings["Policy:Scripts:waiter:Argv:1"] = "-c";
        settings["Policy:Scripts:waiter:Argv:2"] = $"echo waiting; while [ ! -e {release} ]; do sleep 0.05; done; echo done";
        await using var agent = AgentHarness.Start(controlPlane, settings, FastRetries, state);
        var job = Assignments.Create("script.run", """{"script": "waiter"}""");
        controlPlane.Enqueue(job);
        await Eventually.TrueAsync(() => controlPlane.Requests<AppendOutputRequest>().Any(o => o.JobId == job.JobId), "the job to run");

        await controlPlane.StopAsync();
        await File.WriteAllTextAsync(release, "go");
        var spooled = Path.Combine(state, "spool", $"{job.JobId}-1.json");
        await Eventually.TrueAsync(() => File.Exists(spooled), "the completion to be spooled");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(spooled));
        Assert.Empty(controlPlane.Results);

        await controlPlane.RestartAsync();

        var result = await Eventually.ValueAsync(() => controlPlane.Results.GetValueOrDefault((job.JobId, 1)), "the result");
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        await Eventually.TrueAsync(() => !File.Exists(spooled), "the spool entry to be removed");
        Assert.Single(controlPlane.Results);
    }

    [Fact]
    public async Task AgentRestarted_ReSendsWhatIsSpooled_AndRemovesIt_RecordedOnce()
    {
        var state = Path.Combine(work, "state");
        await using (var first = AgentHarness.Start(controlPlane, stateDirectory: state))
        {
            await Eventually.TrueAsync(() => controlPlane.OutstandingPulls > 0, "the first run to enroll");
        }

        // A completion that a previous run spooled, and that the control plane already recorded (a
        // crash after Complete was accepted but before the spool entry was deleted).
        var completion = new CompleteRequest
        {
            JobId = "job-spooled",
            Attempt = 2,
            Outcome = JobOutcome.Succeeded,
            ResultJson = """{"ok":true}""",
            StartedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
            FinishedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        var spool = Directory.CreateDirectory(Path.Combine(state, "spool")).FullName;
        await File.WriteAllTextAsync(Path.Combine(spool, "job-spooled-2.json"), JsonFormatter.Default.Format(completion));
        await File.WriteAllTextAsync(Path.Combine(spool, "garbage-1.json"), "{not json");
        controlPlane.Results.TryAdd(("job-spooled", 2), completion);

        await using var second = AgentHarness.Start(controlPlane, stateDirectory: state);

        await Eventually.TrueAsync(() => controlPlane.Requests<CompleteRequest>().Any(c => c.JobId == "job-spooled"), "the spooled completion to be re-sent");
        await Eventually.TrueAsync(() => !File.Exists(Path.Combine(spool, "job-spooled-2.json")), "the spool entry to be removed");
        Assert.Equal(completion, controlPlane.Requests<CompleteRequest>().Single(c => c.JobId == "job-spooled"));
        Assert.Single(controlPlane.Results);
        Assert.True(File.Exists(Path.Combine(spool, "garbage-1.json.bad")));
    }

    private static void FastRetries(IServiceCollection services) =>
        services.AddSingleton(new ReconnectBackoff(TimeProvider.System, NullLogger<ReconnectBackoff>.Instance) { Randomizer = () => 0.02 });
}
