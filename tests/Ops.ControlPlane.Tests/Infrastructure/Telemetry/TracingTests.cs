using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using OpenTelemetry.Trace;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Telemetry;

/// <summary>
/// DESIGN.md §10: one trace spans the REST POST and each job's lease, and travels to the agent in
/// <c>traceparent</c> (the agent's side: tests/Ops.Agent.Tests/Telemetry/TraceContextTests).
/// </summary>
public sealed class TracingTests(TracingTests.Factory factory) : IClassFixture<TracingTests.Factory>
{
    [Fact]
    public async Task Submit_ThenPull_TheLeaseAndTheAssignmentCarryThePostsTraceId()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();

        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind = "agent.ping",
            target = new { agentIds = new[] { Guid.Parse(agentId) } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);

        Assert.True(ActivityContext.TryParse(job.Traceparent, null, out var context), job.Traceparent);
        var spans = factory.Exported.Where(a => a.TraceId == context.TraceId).ToArray();

        Assert.Contains(spans, a => a.Kind == ActivityKind.Server && a.DisplayName.StartsWith("POST", StringComparison.Ordinal));
        var lease = Assert.Single(spans, a => a.OperationName == "ops.job.lease");
        Assert.Equal(job.JobId, lease.GetTagItem("ops.job.id"));
        Assert.Equal(agentId, lease.GetTagItem("ops.agent.id"));
    }

    public sealed class Factory : OpsGrpcFactory
    {
        /// <summary>Every span that ended, in order; written by the tracer provider's threads.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<Activity> Exported { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(new Collector(Exported))));
        }

        private sealed class Collector(System.Collections.Concurrent.ConcurrentQueue<Activity> spans) : OpenTelemetry.BaseProcessor<Activity>
        {
            public override void OnEnd(Activity data) => spans.Enqueue(data);
        }
    }
}
