using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// What the <see cref="AlertEvaluator"/> has to look at, fed by <c>NOTIFY ops_alerts</c> on every
/// replica: <c>agent:&lt;id&gt;</c> (a heartbeat sample, from the trigger on <c>agents</c>),
/// <c>schedule:&lt;name&gt;</c> (a slot outcome, from the trigger on <c>events</c>), <c>rules</c>
/// (a rule was saved or deleted: everything is evaluated again). After a reconnect, everything.
/// </summary>
internal sealed class AlertWork : BroadcastSignal, INotificationHandler
{
    public const string ChannelName = "ops_alerts";
    private readonly Lock _lock = new();
    private HashSet<Guid> _agents = [];
    private HashSet<string> _schedules = new(StringComparer.Ordinal);
    private bool _full = true;

    public string Channel => ChannelName;

    public void Handle(string payload)
    {
        lock (_lock)
        {
            if (payload.StartsWith("agent:", StringComparison.Ordinal) && Guid.TryParse(payload.AsSpan(6), out var agentId))
            {
                _agents.Add(agentId);
            }
            else if (payload.StartsWith("schedule:", StringComparison.Ordinal))
            {
                _schedules.Add(payload[9..]);
            }
            else
            {
                _full = true;
            }
        }

        Notify();
    }

    public void Reconnected() => RequestFullPass();

    /// <summary>Asks for every agent and schedule to be evaluated (start-up, reconnect, a failed pass).</summary>
    public void RequestFullPass()
    {
        lock (_lock)
        {
            _full = true;
        }

        Notify();
    }

    /// <summary>Takes everything queued so far.</summary>
    public (IReadOnlyCollection<Guid> Agents, IReadOnlyCollection<string> Schedules, bool Full) Take()
    {
        lock (_lock)
        {
            var taken = (_agents, _schedules, _full);
            _agents = [];
            _schedules = new HashSet<string>(StringComparer.Ordinal);
            _full = false;
            return taken;
        }
    }
}
