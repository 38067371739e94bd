using System.Diagnostics.Metrics;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>Dispatch instruments of the <c>Ops.ControlPlane</c> meter (DESIGN.md §10).</summary>
internal static class DispatchMetrics
{
    /// <summary>Time from a job being queued to its lease by a Pull, in milliseconds.</summary>
    public static Histogram<double> DispatchLatency { get; } =
        OpsTelemetry.Meter.CreateHistogram<double>("ops.dispatch.latency", "ms", "Time from queued to leased.");

    /// <summary>Job run time from Start to Complete, in seconds, tagged with <c>kind</c> and <c>outcome</c>.</summary>
    public static Histogram<double> JobDuration { get; } =
        OpsTelemetry.Meter.CreateHistogram<double>("ops.job.duration", "s", "Job duration by kind and outcome.");

    private static long queued;
    private static long agentsOnline;

    /// <summary>Queued jobs across all agents, as last counted by the lease reaper.</summary>
    public static ObservableGauge<long> QueueDepth { get; } =
        OpsTelemetry.Meter.CreateObservableGauge("ops.queue.depth", () => Interlocked.Read(ref queued), "{job}", "Jobs waiting in the queue.");

    /// <summary>Agents seen within the offline window, as last counted by the lease reaper.</summary>
    public static ObservableGauge<long> AgentsOnline { get; } =
        OpsTelemetry.Meter.CreateObservableGauge("ops.agents.online", () => Interlocked.Read(ref agentsOnline), "{agent}", "Agents online.");

    /// <summary>Records the latest counts for <see cref="QueueDepth"/> and <see cref="AgentsOnline"/>.</summary>
    public static void SetCounts(long queuedJobs, long onlineAgents)
    {
        Interlocked.Exchange(ref queued, queuedJobs);
        Interlocked.Exchange(ref agentsOnline, onlineAgents);
    }

    /// <summary>Jobs requeued, lost or timed out by the reaper, tagged with <c>reason</c>.</summary>
    public static Counter<long> Reaped { get; } =
        OpsTelemetry.Meter.CreateCounter<long>("ops.jobs.reaped", "{job}", "Jobs changed by the lease reaper.");
}
