using System.Diagnostics;
using OpenTelemetry.Trace;
using Ops.Agent.Tests.TestSupport;

namespace Ops.Agent.Tests.Telemetry;

/// <summary>DESIGN.md §10: the job's execution span continues the operation's trace from <c>traceparent</c>.</summary>
public sealed class TraceContextTests
{
    [Fact]
    public async Task JobExecution_WithATraceparent_IsASpanOfThatTrace()
    {
        await using var controlPlane = await FakeControlPlane.StartAsync();
        var exported = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        await using var agent = AgentHarness.Start(
            controlPlane,
            new Dictionary<string, string?> { ["Agent:EnabledKinds:0"] = "agent.ping" },
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(new Collector(exported))));
        var traceId = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();
        var assignment = Assignments.Create("agent.ping");
        assignment.Traceparent = $"00-{traceId}-{parentSpan}-01";

        controlPlane.Enqueue(assignment);
        await Eventually.TrueAsync(() => controlPlane.Results.ContainsKey((assignment.JobId, 1)), "the job's completion");
        await agent.StopAsync();

        // The activity source is process-wide: other tests' agents run jobs at the same time, so look at this job's spans only.
        var spans = exported.Where(a => a.OperationName == "ops.job.execute" && Equals(a.GetTagItem("ops.job.id"), assignment.JobId)).ToArray();

        var span = Assert.Single(spans);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(parentSpan, span.ParentSpanId);
        Assert.Equal(assignment.JobId, span.GetTagItem("ops.job.id"));
        Assert.Contains(exported, a => a.TraceId == traceId && a.OperationName != "ops.job.execute");
    }

    private sealed class Collector(System.Collections.Concurrent.ConcurrentQueue<Activity> spans) : OpenTelemetry.BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Enqueue(data);
    }
}
