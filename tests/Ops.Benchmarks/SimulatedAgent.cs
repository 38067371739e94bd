using System.Diagnostics;
using Ops.Contracts.Agent.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Ops.Benchmarks;

/// <summary>
/// An agent simulated in this process with real gRPC calls, behaving like Ops.Agent's pull loop
/// (docs/agent.md): one <c>Pull</c> outstanding asking for the free slots (<c>max_jobs</c> ≤
/// <paramref name="slots"/>, <c>wait_ms</c> = <paramref name="waitMs"/>, re-issued when it
/// returns); each job runs in its own task as <c>Start</c> → <c>Complete</c> (SUCCEEDED, a small
/// <c>agent.ping</c>-shaped result) and frees its slot. It runs nothing: the point is the control
/// plane's cost per job. Timestamps go to the <see cref="JobBoard"/>.
/// </summary>
internal sealed class SimulatedAgent(EnrolledAgent agent, JobBoard board, int slots, int waitMs)
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(15);
    private long _errors;
    private long _completed;

    /// <summary>RPCs that failed (other than by the stop token).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Completions the control plane accepted.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Pulls and runs jobs until <paramref name="stop"/>; then waits (≤ 15 s) for its jobs in flight.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var free = new SemaphoreSlim(slots, slots);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await free.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var asked = 1;
            while (asked < slots && free.Wait(0))
            {
                asked++;
            }

            PullResponse response;
            try
            {
                response = await agent.Client.PullAsync(
                    new PullRequest { MaxJobs = asked, WaitMs = waitMs },
                    DateTimeOffset.UtcNow.AddMilliseconds(waitMs + 10_000),
                    stop);
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException)
            {
                free.Release(asked);
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                Interlocked.Increment(ref _errors);
                await Task.Delay(200, CancellationToken.None);
                continue;
            }

            var at = Stopwatch.GetTimestamp();
            if (asked > response.Jobs.Count)
            {
                free.Release(asked - response.Jobs.Count);
            }

            foreach (var job in response.Jobs)
            {
                var times = board.For(job.OperationId);
                times.Pulled.TrySetResult(at);
                times.Pulls.Add(at);
                _ = RunJobAsync(job, free);
            }
        }

        for (var i = 0; i < 150 && free.CurrentCount < slots; i++)
        {
            await Task.Delay(100, CancellationToken.None);
        }
    }

    private async Task RunJobAsync(JobAssignment job, SemaphoreSlim free)
    {
        try
        {
            var started = await agent.Client.StartAsync(
                new StartRequest { JobId = job.JobId, Attempt = job.Attempt }, DateTimeOffset.UtcNow + CallDeadline);
            if (!started.Proceed)
            {
                return;
            }

            var times = board.For(job.OperationId);
            times.Started.TrySetResult(Stopwatch.GetTimestamp());
            var now = DateTimeOffset.UtcNow;
            var complete = await agent.Client.CompleteAsync(
                new CompleteRequest
                {
                    JobId = job.JobId,
                    Attempt = job.Attempt,
                    Outcome = JobOutcome.Succeeded,
                    ResultJson = $$"""{"agentVersion":"bench","time":"{{now:O}}"}""",
                    StartedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
                    FinishedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
                },
                DateTimeOffset.UtcNow + CallDeadline);
            if (complete.Accepted)
            {
                Interlocked.Increment(ref _completed);
                var at = Stopwatch.GetTimestamp();
                times.Completed.TrySetResult(at);
                times.Completions.Add(at);
            }
        }
        catch (RpcException)
        {
            Interlocked.Increment(ref _errors);
        }
        finally
        {
            free.Release();
        }
    }
}
