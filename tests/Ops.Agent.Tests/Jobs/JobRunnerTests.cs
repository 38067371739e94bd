using Microsoft.Extensions.DependencyInjection;
using Ops.Agent.Executors;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;
using Grpc.Core;

namespace Ops.Agent.Tests.Jobs;

/// <summary>Job execution through the real agent: cancellation, deadlines, Start/Complete answers, policy and validation.</summary>
public sealed class JobRunnerTests : IAsyncLifetime
{
    private readonly BlockingExecutor blocking = new();
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync() => controlPlane = await FakeControlPlane.StartAsync();

    public async Task DisposeAsync() => await controlPlane.DisposeAsync();

    [Fact]
    public async Task Run_WhenControlPlaneCancelsARunningJob_CompletesItCancelled()
    {
        await using var agent = StartWithBlockingExecutor();
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);
        await blocking.Started.Task.WaitAsync(Eventually.Generous);

        controlPlane.Cancel(job.JobId);

        var complete = await CompletionOf(job);
        Assert.Equal(JobOutcome.Cancelled, complete.Outcome);
        Assert.Contains("cancelled by the control plane", complete.Error, StringComparison.Ordinal);
        Assert.True(complete.OutputBytes > 0);
    }

    [Fact]
    public async Task Run_WhenAHeartbeatResponseCancelsARunningJob_CompletesItCancelled()
    {
        await using var agent = StartWithBlockingExecutor();
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);
        await blocking.Started.Task.WaitAsync(Eventually.Generous);

        controlPlane.HeartbeatCancels.Enqueue(job.JobId);

        Assert.Equal(JobOutcome.Cancelled, (await CompletionOf(job)).Outcome);
    }

    [Fact]
    public async Task Run_WhenAppendOutputAnswersCancelRequested_CompletesItCancelled()
    {
        await using var agent = StartWithBlockingExecutor();
        var job = Assignments.Create("agent.ping");
        controlPlane.CancelOnOutput[job.JobId] = true;
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Cancelled, complete.Outcome);
    }

    [Fact]
    public async Task Run_WhenTheDeadlinePasses_CompletesItTimedOut()
    {
        await using var agent = StartWithBlockingExecutor();
        var job = Assignments.Create("agent.ping", deadlineIn: TimeSpan.FromSeconds(1));
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.TimedOut, complete.Outcome);
        Assert.Equal(124, complete.ExitCode);
    }

    [Fact]
    public async Task Heartbeat_WhileAJobRuns_ListsItsId()
    {
        await using var agent = StartWithBlockingExecutor();
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);
        await blocking.Started.Task.WaitAsync(Eventually.Generous);

        await Eventually.TrueAsync(
            () => controlPlane.Requests<HeartbeatRequest>().Any(h => h.RunningJobIds.Contains(job.JobId)),
            "a heartbeat listing the running job");
    }

    [Fact]
    public async Task Run_WhenAllSlotsAreBusy_KeepsAPullWithMaxJobsZeroSoCancellationsArrive()
    {
        await using var agent = StartWithBlockingExecutor(new Dictionary<string, string?> { ["Agent:MaxConcurrentJobs"] = "1" });
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);
        await blocking.Started.Task.WaitAsync(Eventually.Generous);

        await Eventually.TrueAsync(() => controlPlane.Requests<PullRequest>().Any(p => p.MaxJobs == 0), "a Pull with max_jobs=0");
        controlPlane.Cancel(job.JobId);
        Assert.Equal(JobOutcome.Cancelled, (await CompletionOf(job)).Outcome);

        await Eventually.TrueAsync(() => controlPlane.Requests<PullRequest>().Last().MaxJobs == 1, "a Pull asking for the freed slot");
    }

    [Fact]
    public async Task Shutdown_WithARunningJob_CompletesItCancelledAndExitsZero()
    {
        var agent = StartWithBlockingExecutor();
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);
        await blocking.Started.Task.WaitAsync(Eventually.Generous);

        var exitCode = await agent.StopAsync();

        Assert.Equal(0, exitCode);
        var complete = Assert.Single(controlPlane.Requests<CompleteRequest>(), c => c.JobId == job.JobId);
        Assert.Equal(JobOutcome.Cancelled, complete.Outcome);
        Assert.Contains("shutting down", complete.Error, StringComparison.Ordinal);
        await agent.DisposeAsync();
    }

    [Fact]
    public async Task Run_WhenStartAnswersProceedFalse_DropsTheJobWithoutComplete()
    {
        var declined = Assignments.Create("agent.ping");
        controlPlane.Proceed = start => start.JobId != declined.JobId;
        await using var agent = AgentHarness.Start(controlPlane);
        controlPlane.Enqueue(declined);
        var marker = Assignments.Create("agent.ping");
        await Eventually.TrueAsync(() => controlPlane.Requests<StartRequest>().Any(s => s.JobId == declined.JobId), "Start of the declined job");
        controlPlane.Enqueue(marker);

        await CompletionOf(marker);

        Assert.DoesNotContain(controlPlane.Requests<CompleteRequest>(), c => c.JobId == declined.JobId);
        Assert.DoesNotContain(controlPlane.Requests<AppendOutputRequest>(), c => c.JobId == declined.JobId);
    }

    [Fact]
    public async Task Complete_WhenAnsweredAcceptedFalse_IsNotRetried()
    {
        controlPlane.CompleteAccepted = false;
        await using var agent = AgentHarness.Start(controlPlane);
        var stale = Assignments.Create("agent.ping");
        controlPlane.Enqueue(stale);
        await CompletionOf(stale);
        var marker = Assignments.Create("agent.ping");
        controlPlane.Enqueue(marker);

        await CompletionOf(marker);

        Assert.Single(controlPlane.Requests<CompleteRequest>(), c => c.JobId == stale.JobId);
    }

    [Fact]
    public async Task Complete_WhenFailingTransiently_IsRetriedUntilAcceptedExactlyOnce()
    {
        controlPlane.CompleteFailures.Enqueue(StatusCode.Unavailable);
        controlPlane.CompleteFailures.Enqueue(StatusCode.Internal);
        controlPlane.CompleteFailures.Enqueue(StatusCode.DeadlineExceeded);
        await using var agent = AgentHarness.Start(controlPlane);
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);

        await Eventually.TrueAsync(() => controlPlane.CompleteFailures.IsEmpty && controlPlane.Requests<CompleteRequest>().Count(c => c.JobId == job.JobId) == 4, "four Complete calls");
        var marker = Assignments.Create("agent.ping");
        controlPlane.Enqueue(marker);
        await CompletionOf(marker);

        var completes = controlPlane.Requests<CompleteRequest>().Where(c => c.JobId == job.JobId).ToList();
        Assert.Equal(4, completes.Count);
        Assert.All(completes, c => Assert.Equal(JobOutcome.Succeeded, c.Outcome));
    }

    [Fact]
    public async Task Run_WhenKindIsNotEnabled_CompletesItFailedNamingThePolicy()
    {
        await using var agent = AgentHarness.Start(controlPlane, new Dictionary<string, string?> { ["Agent:EnabledKinds:0"] = "agent.ping" });
        var job = Assignments.Create("host.disk");
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.Equal("kind 'host.disk' is not enabled by this agent's policy", complete.Error);
        Assert.Equal(["agent.ping"], Assert.Single(controlPlane.Requests<EnrollRequest>()).Capabilities);
    }

    [Fact]
    public async Task Run_WhenParametersAreInvalid_CompletesItFailedWithTheErrors()
    {
        await using var agent = AgentHarness.Start(controlPlane);
        var job = Assignments.Create("host.disk", """{"minFreePercent": 150, "bogus": 1}""");
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.StartsWith("invalid parameters:", complete.Error, StringComparison.Ordinal);
        Assert.Contains("bogus", complete.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_IsSentInOrderedChunksFromSeq1_AndKeepsHeadAndTailPast1MiB()
    {
        await using var agent = AgentHarness.Start(controlPlane, services: services => services.AddSingleton<IOperationExecutor>(new ChattyExecutor(20_000)));
        var job = Assignments.Create("agent.ping");
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Succeeded, complete.Outcome);
        Assert.True(complete.OutputTruncated);
        Assert.Equal(20_000 * 100, complete.OutputBytes);
        var chunks = controlPlane.Requests<AppendOutputRequest>().Where(o => o.JobId == job.JobId).SelectMany(o => o.Chunks).ToList();
        Assert.Equal(Enumerable.Range(1, chunks.Count).Select(i => (long)i), chunks.Select(c => c.Seq));
        Assert.All(chunks, c => Assert.InRange(c.Data.Length, 1, 64 * 1024));
        var stored = chunks.Where(c => c.Stream != OutputStream.System).Sum(c => (long)c.Data.Length);
        Assert.InRange(stored, 1_000_000, 1024 * 1024);
        var stdout = string.Concat(chunks.Where(c => c.Stream == OutputStream.Stdout).Select(c => c.Data.ToStringUtf8()));
        Assert.StartsWith("000000xxx", stdout, StringComparison.Ordinal);
        Assert.EndsWith("019998" + new string('x', 93) + "\n", stdout, StringComparison.Ordinal);
        Assert.Contains(chunks, c => c.Stream == OutputStream.Stderr && c.Data.ToStringUtf8().StartsWith("000009", StringComparison.Ordinal));
        Assert.Contains(chunks, c => c.Stream == OutputStream.Stderr && c.Data.ToStringUtf8().EndsWith("019999" + new string('x', 93) + "\n", StringComparison.Ordinal));
        var note = chunks.Single(c => c.Stream == OutputStream.System).Data.ToStringUtf8();
        Assert.Contains("output truncated", note, StringComparison.Ordinal);
        Assert.Contains($"{2_000_000 - stored} bytes of 2000000 omitted", note, StringComparison.Ordinal);
    }

    private AgentHarness StartWithBlockingExecutor(IDictionary<string, string?>? settings = null) =>
        AgentHarness.Start(controlPlane, settings, services => services.AddSingleton<IOperationExecutor>(blocking));

    private Task<CompleteRequest> CompletionOf(JobAssignment job) =>
        Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), $"Complete of {job.JobId}");
}
