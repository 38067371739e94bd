using System.Diagnostics;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Telemetry;

/// <summary>
/// The agent's <see cref="ActivitySource"/> <c>Ops.Agent</c> (DESIGN.md §10). A job's execution
/// span continues the operation's trace from <c>JobAssignment.traceparent</c> (W3C Trace
/// Context), so one trace spans the REST POST, the lease on the control plane and the run here.
/// </summary>
internal static class AgentTelemetry
{
    public const string Name = "Ops.Agent";

    public static ActivitySource ActivitySource { get; } = new(Name, typeof(AgentTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts <c>ops.job.execute</c> for <paramref name="assignment"/>; <c>null</c> when nothing listens.</summary>
    public static Activity? StartJob(JobAssignment assignment)
    {
        ActivityContext.TryParse(assignment.Traceparent, null, out var parent);
        var activity = ActivitySource.StartActivity("ops.job.execute", ActivityKind.Consumer, parent);
        activity?.SetTag("ops.job.id", assignment.JobId);
        activity?.SetTag("ops.operation.id", assignment.OperationId);
        activity?.SetTag("ops.job.kind", assignment.Kind);
        activity?.SetTag("ops.job.attempt", assignment.Attempt);
        return activity;
    }
}
