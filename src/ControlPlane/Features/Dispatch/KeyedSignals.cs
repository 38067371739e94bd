using System.Collections.Concurrent;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// One-shot in-process signals keyed by id: a waiter takes the current signal with
/// <see cref="Subscribe"/> before it reads the database, and a writer calls
/// <see cref="Notify"/> after its transaction commits, so no notification falls between the
/// read and the wait.
/// </summary>
internal abstract class KeyedSignals
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _signals = new();

    /// <summary>The signal of the next <see cref="Notify"/> for <paramref name="key"/>.</summary>
    public Task Subscribe(Guid key) =>
        _signals.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Keys with a pending signal (tests: nothing is left behind).</summary>
    public int Count => _signals.Count;

    /// <summary>Forgets the pending signal of <paramref name="key"/> without completing it (its last waiter left).</summary>
    protected void Drop(Guid key) => _signals.TryRemove(key, out _);

    /// <summary>Completes the waiters of <paramref name="key"/>; a no-op when none waits.</summary>
    public virtual void Notify(Guid key)
    {
        if (_signals.TryRemove(key, out var signal))
        {
            signal.TrySetResult();
        }
    }

    /// <summary>Completes every pending signal (after missed notifications: each waiter rescans once).</summary>
    public virtual void NotifyAll()
    {
        foreach (var key in _signals.Keys)
        {
            Notify(key);
        }
    }
}
