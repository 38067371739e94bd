using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// <c>NOTIFY ops_jobs, '&lt;agent_id&gt;[,&lt;agent_id&gt;…]'</c> (DESIGN.md §5): jobs of those agents
/// were queued, requeued or cancelled, possibly on another replica (one id from the job triggers,
/// a comma-separated list from <see cref="AgentWakeupPublisher"/>); wakes their Pulls waiting on
/// this node. After a reconnect (notifications may have been missed) every waiting Pull on this
/// node is woken once and reads the queue again.
/// </summary>
internal sealed class AgentWakeupHandler(AgentWakeups wakeups) : INotificationHandler
{
    public string Channel => "ops_jobs";

    public void Handle(string payload)
    {
        foreach (var part in payload.Split(','))
        {
            if (Guid.TryParse(part, out var agentId))
            {
                wakeups.Notify(agentId);
            }
        }
    }

    public void Reconnected() => wakeups.NotifyAll();
}
