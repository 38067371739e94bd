using System.Collections.Concurrent;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// In-process wake-up signals per agent id (DESIGN.md §5): a <c>Pull</c> waiting on this node
/// subscribes before it looks at the queue, and enqueue/cancel paths call
/// <see cref="Notify"/> after their transaction commits, so dispatch latency is bounded by this
/// signal and never by a polling interval. Other replicas are reached by
/// <c>NOTIFY ops_jobs</c>, whose listener also calls <see cref="Notify"/>.
/// </summary>
internal sealed class AgentWakeups
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _signals = new();

    /// <summary>
    /// The signal of <paramref name="agentId"/>'s next wake-up. Take it before reading the queue:
    /// a notification that arrives in between then still completes it.
    /// </summary>
    public Task Subscribe(Guid agentId) =>
        _signals.GetOrAdd(agentId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes every waiter of <paramref name="agentId"/>; a no-op when none waits.</summary>
    public void Notify(Guid agentId)
    {
        if (_signals.TryRemove(agentId, out var signal))
        {
            signal.TrySetResult();
        }
    }

    /// <summary>Number of agents with a waiter on this node.</summary>
    public int WaitingAgents => _signals.Count;
}
