using System.Collections.Concurrent;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// Runs to advance, from <c>NOTIFY ops_runbooks, '&lt;run id&gt;'</c> (a run's operation ended, a gated
/// batch finished, a lock was granted, a cancel) on every replica; after a (re)connect, every
/// active run is rescanned, since notifications may have been missed.
/// </summary>
internal sealed class RunbookWakeups : BroadcastSignal, INotificationHandler
{
    private readonly ConcurrentDictionary<Guid, byte> _dirty = new();
    private int _rescan = 1;

    public string Channel => "ops_runbooks";

    public void Handle(string payload)
    {
        if (Guid.TryParse(payload, out var runId))
        {
            _dirty[runId] = 0;
            Notify();
        }
    }

    public void Reconnected()
    {
        Interlocked.Exchange(ref _rescan, 1);
        Notify();
    }

    /// <summary>Marks <paramref name="runId"/> to advance on this replica (after a local commit).</summary>
    public void Touch(Guid runId)
    {
        _dirty[runId] = 0;
        Notify();
    }

    /// <summary>The runs marked since the last call, and whether every active run must be rescanned.</summary>
    public (IReadOnlyList<Guid> Runs, bool Rescan) Take()
    {
        var rescan = Interlocked.Exchange(ref _rescan, 0) == 1;
        var runs = new List<Guid>();
        foreach (var id in _dirty.Keys)
        {
            if (_dirty.TryRemove(id, out _))
            {
                runs.Add(id);
            }
        }

        return (runs, rescan);
    }
}
