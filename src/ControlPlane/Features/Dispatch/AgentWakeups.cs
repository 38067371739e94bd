namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// Wake-ups of agents' outstanding <c>Pull</c>s on this node (DESIGN.md §5): enqueue, cancel,
/// requeue and timeout paths notify the agent id after commit; other replicas are reached by
/// <c>NOTIFY ops_jobs, '&lt;agent_id&gt;'</c>, whose listener notifies here too. Dispatch latency
/// is bounded by this signal, never by a polling interval.
/// </summary>
internal sealed class AgentWakeups : KeyedSignals;
