namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// Wake-ups of agents' outstanding <c>Pull</c>s on this node (DESIGN.md §5): enqueue, cancel,
/// requeue and timeout paths notify the agent id after commit; other replicas are reached by
/// <c>NOTIFY ops_jobs, '&lt;agent_id&gt;'</c>, whose listener notifies here too. Dispatch latency
/// is bounded by this signal, never by a polling interval.
/// </summary>
internal sealed class AgentWakeups : KeyedSignals
{
    private int _waiting;

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
