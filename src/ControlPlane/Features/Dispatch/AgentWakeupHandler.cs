using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// <c>NOTIFY ops_jobs, '&lt;agent_id&gt;'</c> (DESIGN.md §5): a job of that agent was queued,
/// requeued or cancelled, possibly on another replica; wakes its Pull waiting on this node. After
/// a reconnect nothing is replayed: waiting Pulls end at their <c>wait_ms</c> and find the work then.
/// </summary>
internal sealed class AgentWakeupHandler(AgentWakeups wakeups) : INotificationHandler
{
    public string Channel => "ops_jobs";

    public void Handle(string payload)
    {
        if (Guid.TryParse(payload, out var agentId))
        {
            wakeups.Notify(agentId);
        }
    }

    public void Reconnected()
    {
    }
}
