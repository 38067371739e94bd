using Ops.ControlPlane.Tests.TestSupport;
using System.Diagnostics;
using System.Net.Http.Json;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;

namespace Ops.Benchmarks;

/// <summary>
/// Dispatch latency with agents waiting (DESIGN.md §5): the time from sending
/// <c>POST /api/v1/operations</c> to the waiting agent's <c>Pull</c> response, and to its
/// <c>Start</c> response. One operation at a time, so this is latency, not throughput. The agents
/// are simulated in this process: real gRPC clients of the wire layer, each keeping a Pull open.
/// </summary>
internal sealed class DispatchLatencyBenchmark(HttpClient api, IReadOnlyList<(string Id, AgentClient Client)> agents)
{
    public sealed record Result(int Samples, double PostP50, double PullP50, double PullP95, double PullP99, double StartP50, double StartP95, double StartP99);

    public async Task<Result> RunAsync(int warmup, int samples)
    {
        var pull = new List<double>();
        var start = new List<double>();
        var post = new List<double>();
        for (var i = 0; i < warmup + samples; i++)
        {
            var (agentId, client) = agents[i % agents.Count];
            var waiting = client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 30_000 }, DateTimeOffset.UtcNow.AddSeconds(40));
            await Task.Delay(15); // let the Pull reach the server and wait there
            // As an agent does, Start is sent as soon as the Pull's response arrives, which can be
            // before the 202 does: both times are taken when they happen.
            var started = PullThenStartAsync(client, waiting);
            var t0 = Stopwatch.GetTimestamp();
            var response = await api.PostAsync("/api/v1/operations", new StringContent("{\"kind\":\"agent.ping\",\"target\":{\"agentIds\":[\"" + agentId + "\"]}}", System.Text.Encoding.UTF8, "application/json"));
            var tPost = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            var (assignment, pulledAt, startedAt) = await started;
            var tPull = Stopwatch.GetElapsedTime(t0, pulledAt).TotalMilliseconds;
            var tStart = Stopwatch.GetElapsedTime(t0, startedAt).TotalMilliseconds;
            await client.CompleteAsync(new CompleteRequest { JobId = assignment.JobId, Attempt = assignment.Attempt, Outcome = JobOutcome.Succeeded, ResultJson = "{}" });
            if (i >= warmup)
            {
                post.Add(tPost);
                pull.Add(tPull);
                start.Add(tStart);
            }
        }

        return new Result(
            samples,
            Percentiles.Of(post, 50),
            Percentiles.Of(pull, 50), Percentiles.Of(pull, 95), Percentiles.Of(pull, 99),
            Percentiles.Of(start, 50), Percentiles.Of(start, 95), Percentiles.Of(start, 99));
    }

    /// <summary>
    /// Awaits the Pull's response, then sends Start for its one job; returns the job and the
    /// <see cref="Stopwatch"/> timestamps of the Pull's response and of Start's, each taken on the
    /// thread that completed the call.
    /// </summary>
    private static async Task<(JobAssignment Job, long PulledAt, long StartedAt)> PullThenStartAsync(AgentClient client, Task<PullResponse> pull)
    {
        var pulledAt = StampOnCompletion(pull);
        var job = (await pull).Jobs.Single();
        var start = client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt });
        var startedAt = StampOnCompletion(start);
        await start;
        return (job, await pulledAt, await startedAt);
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp of the moment <paramref name="call"/> completes, taken by a synchronous continuation.</summary>
    private static Task<long> StampOnCompletion(Task call) =>
        call.ContinueWith(static _ => Stopwatch.GetTimestamp(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
