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
            var t0 = Stopwatch.GetTimestamp();
            var response = await api.PostAsync("/api/v1/operations", new StringContent("{\"kind\":\"agent.ping\",\"target\":{\"agentIds\":[\"" + agentId + "\"]}}", System.Text.Encoding.UTF8, "application/json"));
            var tPost = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            var assignment = (await waiting).Jobs.Single();
            var tPull = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            await client.StartAsync(new StartRequest { JobId = assignment.JobId, Attempt = assignment.Attempt });
            var tStart = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
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
}
