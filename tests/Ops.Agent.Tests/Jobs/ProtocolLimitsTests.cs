using System.Text.Json.Nodes;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Ops.Agent.Executors;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Tests.Jobs;

/// <summary>The agent keeps every request inside the protocol's limits (<see cref="AgentProtocolLimits"/>), so none is refused and re-sent forever.</summary>
public sealed class ProtocolLimitsTests : IAsyncLifetime
{
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync() => controlPlane = await FakeControlPlane.StartAsync();

    public async Task DisposeAsync() => await controlPlane.DisposeAsync();

    [Fact]
    public async Task Complete_WithAResultOverTheByteLimit_SendsAnErrorResultThatFits()
    {
        // 40,000 'é' are 40,000 characters but 80,000 UTF-8 bytes: over the limit counted in bytes.
        await using var agent = AgentHarness.Start(controlPlane, services: s => s.AddSingleton<IOperationExecutor>(new ResultExecutor(new string('é', 40_000))));
        var job = Assignments.Create("agent.ping");

        controlPlane.Enqueue(job);
        var complete = await Eventually.ValueAsync(() => controlPlane.Results.TryGetValue((job.JobId, 1), out var c) ? c : null, "the completion");

        Assert.True(Encoding.UTF8.GetByteCount(complete.ResultJson) <= AgentProtocolLimits.MaxResultJsonBytes);
        Assert.Contains("result omitted", complete.ResultJson, StringComparison.Ordinal);
        Assert.Contains("result omitted", complete.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_WhoseSealedTailIsLargerThanAMessage_IsSentInRequestsUnderTheLimit()
    {
        await using var agent = AgentHarness.Start(
            controlPlane,
            new Dictionary<string, string?> { ["Agent:MaxOutputBytes"] = (16 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            s => s.AddSingleton<IOperationExecutor>(new ChattyExecutor(300_000)));
        var job = Assignments.Create("agent.ping");

        controlPlane.Enqueue(job);
        var complete = await Eventually.ValueAsync(() => controlPlane.Results.TryGetValue((job.JobId, 1), out var c) ? c : null, "the completion");

        var requests = controlPlane.Requests<AppendOutputRequest>().Where(r => r.JobId == job.JobId).ToList();
        // 30 MB against a 16 MiB bound: the 8 MiB tail is sent when the output is sealed, twice the message limit.
        Assert.Equal(300_000L * 100, complete.OutputBytes);
        Assert.True(complete.OutputTruncated);
        Assert.InRange(requests.Sum(r => r.Chunks.Sum(c => (long)c.Data.Length)), 15L * 1024 * 1024, 17L * 1024 * 1024);
        Assert.All(requests, r => Assert.InRange(r.Chunks.Sum(c => c.Data.Length), 0, AgentProtocolLimits.MaxOutputRequestBytes));
        Assert.All(requests.SelectMany(r => r.Chunks), c => Assert.InRange(c.Data.Length, 0, AgentProtocolLimits.MaxChunkBytes));
        var seqs = requests.SelectMany(r => r.Chunks).Select(c => c.Seq).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
    }

    private sealed class ResultExecutor(string text) : IOperationExecutor
    {
        public string Kind => OperationKindCatalog.AgentPing.Name;

        public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken) =>
            Task.FromResult(ExecutorResult.Success(new JsonObject { ["text"] = text }));
    }
}
