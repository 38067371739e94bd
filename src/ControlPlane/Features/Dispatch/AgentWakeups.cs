using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// Wake-ups of agents' outstanding <c>Pull</c>s on this node (DESIGN.md §5): enqueue, cancel,
/// requeue and timeout paths notify the agent id after commit; other replicas are reached by
/// <c>NOTIFY ops_jobs, '&lt;agent_id&gt;'</c>, whose listener notifies here too. Dispatch latency
/// is bounded by this signal, never by a polling interval.
/// </summary>
internal sealed class AgentWakeups : KeyedSignals
{
    /// <summary>How long an empty read of an agent's queue stands in for the next ones (<see cref="IsDrained"/>).</summary>
    public static readonly TimeSpan DrainedFor = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, long> _wakeCounts = new();
    private readonly ConcurrentDictionary<Guid, Drained> _drained = new();
    private long _wakeAllCount;
    private int _waiting;

    /// <summary>An agent's queue read empty: the wake-up counts as they were when that read began, and when it began.</summary>
    private readonly record struct Drained(long WakeCount, long WakeAllCount, long At);

    /// <summary>Where an agent's wake-ups stand before a read of its queue, for <see cref="ReadDrained"/>.</summary>
    public readonly record struct ReadMark(long WakeCount, long WakeAllCount, long At);

    /// <inheritdoc />
    public override void Notify(Guid key)
    {
        _wakeCounts.AddOrUpdate(key, 1, static (_, count) => count + 1);
        base.Notify(key);
    }

    /// <inheritdoc />
    public override void NotifyAll()
    {
        Interlocked.Increment(ref _wakeAllCount);
        base.NotifyAll();
    }

    /// <summary>Call right before reading the agent's queue; pass the mark to <see cref="ReadDrained"/> if the read left jobs unleased-for (it found fewer than asked).</summary>
    public ReadMark MarkRead(Guid agentId) =>
        new(_wakeCounts.GetValueOrDefault(agentId), Interlocked.Read(ref _wakeAllCount), Stopwatch.GetTimestamp());

    /// <summary>The read that began at <paramref name="mark"/> found the agent's queue drained (fewer jobs than asked, no cancellation).</summary>
    public void ReadDrained(Guid agentId, ReadMark mark) => _drained[agentId] = new Drained(mark.WakeCount, mark.WakeAllCount, mark.At);

    /// <summary>The read found work: the next Pull reads the queue.</summary>
    public void ReadFound(Guid agentId) => _drained.TryRemove(agentId, out _);

    /// <summary>
    /// True when the agent's queue is known empty on this replica: a read that began less than
    /// <see cref="DrainedFor"/> ago found it drained, and no wake-up for the agent (nor a wake-all
    /// after missed notifications) came since that read began. Every path that makes a job
    /// leasable wakes its agent after its commit (DESIGN.md §5), so a Pull may then wait without
    /// reading; at least one read per <see cref="DrainedFor"/> bounds what a lost wake-up, or a
    /// cancellation requested on another replica, could delay.
    /// </summary>
    public bool IsDrained(Guid agentId) =>
        _drained.TryGetValue(agentId, out var drained)
        && drained.WakeCount == _wakeCounts.GetValueOrDefault(agentId)
        && drained.WakeAllCount == Interlocked.Read(ref _wakeAllCount)
        && Stopwatch.GetElapsedTime(drained.At) < DrainedFor;

    /// <summary>Pulls on this node waiting for work right now (each between its empty read and its wake-up or timeout).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Counts a Pull as waiting until the returned scope is disposed.</summary>
    public WaitScope EnterWait()
    {
        Interlocked.Increment(ref _waiting);
        return new WaitScope(this);
    }

    /// <summary>Ends one Pull's wait in <see cref="Waiting"/>.</summary>
    internal readonly struct WaitScope(AgentWakeups owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._waiting);
    }
}
