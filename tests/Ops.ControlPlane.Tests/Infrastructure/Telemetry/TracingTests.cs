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
/// Spans are recorded when something reads them (here a processor, opted in with
/// <c>OTEL_TRACES_SAMPLER=always_on</c>); with no reader none is (<see cref="UnreadTracingTests"/>).
/// </summary>
[Collection(Name)]
public sealed class TracingTests(TracingTests.Factory factory) : IClassFixture<TracingTests.Factory>
{
    /// <summary>
    /// The collection of both classes, so they never run at once: activity listeners are global to
    /// the process, and an activity one host's sampler records is recorded for every host in it.
    /// </summary>
    public const string Name = "Tracing";

    [Fact]
    public async Task Submit_ThenPull_TheLeaseAndTheAssignmentCarryThePostsTraceId()
    {
        var (agentId, _, job) = await SubmitAPingAndPullItAsync(factory);

        Assert.True(ActivityContext.TryParse(job.Traceparent, null, out var context), job.Traceparent);
        var spans = factory.Exported.Where(a => a.TraceId == context.TraceId).ToArray();

        Assert.Contains(spans, a => a.Kind == ActivityKind.Server && a.DisplayName.StartsWith("POST", StringComparison.Ordinal));
        var lease = Assert.Single(spans, a => a.OperationName == "ops.job.lease");
        Assert.Equal(job.JobId, lease.GetTagItem("ops.job.id"));
        Assert.Equal(agentId, lease.GetTagItem("ops.agent.id"));
    }

    /// <summary>Enrolls an agent, submits <c>agent.ping</c> to it (202 asserted) and pulls the job: the agent's id, the operation's id, the job.</summary>
    internal static async Task<(string AgentId, string? OperationId, JobAssignment Job)> SubmitAPingAndPullItAsync(Factory host)
    {
        var (agentId, client) = await host.EnrollAgentAsync();
        var response = await host.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind = "agent.ping",
            target = new { agentIds = new[] { Guid.Parse(agentId) } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var operationId = (await response.ReadJsonAsync()).GetProperty("id").GetString();
        return (agentId, operationId, Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs));
    }

    public class Factory : OpsGrpcFactory
    {
        /// <summary>Every span that ended, in order; written by the tracer provider's threads.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<Activity> Exported { get; } = new();

        /// <summary>Whether the operator chose a sampler, as someone adding their own exporter in code does.</summary>
        protected virtual bool ChoosesSampler => true;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            if (ChoosesSampler)
            {
                builder.UseSetting("OTEL_TRACES_SAMPLER", "always_on");
            }

            builder.ConfigureServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(new Collector(Exported))));
        }

        private sealed class Collector(System.Collections.Concurrent.ConcurrentQueue<Activity> spans) : OpenTelemetry.BaseProcessor<Activity>
        {
            public override void OnEnd(Activity data) => spans.Enqueue(data);
        }
    }
}

/// <summary>
/// The default of <c>./ops up</c>: no OTLP endpoint and no sampler chosen, so no span is recorded
/// (TelemetryExtensions.RecordsSpans), while each request still has a trace id for the audit log
/// and the agent's <c>traceparent</c>.
/// </summary>
[Collection(TracingTests.Name)]
public sealed class UnreadTracingTests(UnreadTracingTests.UnreadFactory unread) : IClassFixture<UnreadTracingTests.UnreadFactory>
{
    [Fact]
    public async Task WithNoExporterAndNoSamplerChosen_NoSpanIsRecorded_AndTheTraceIdStillReachesTheAgentAndTheAudit()
    {
        var (_, operationId, job) = await TracingTests.SubmitAPingAndPullItAsync(unread);

        Assert.True(ActivityContext.TryParse(job.Traceparent, null, out var context), job.Traceparent);
        Assert.NotEqual(default, context.TraceId);
        var audit = await (await unread.CreateClient(Roles.Admin).GetAsync("/api/v1/audit?action=operation.create&limit=50")).ReadJsonAsync();
        var created = audit.GetProperty("items").EnumerateArray().First(i => i.GetProperty("resourceId").GetString() == operationId);
        Assert.Equal(context.TraceId.ToHexString(), created.GetProperty("traceId").GetString());
        Assert.Empty(unread.Exported);
    }

    /// <summary>The same host with no OTLP endpoint and no sampler chosen: the default of <c>./ops up</c>.</summary>
    public sealed class UnreadFactory : TracingTests.Factory
    {
        protected override bool ChoosesSampler => false;
    }
}
