namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>
/// A wake-up for background loops: a loop takes <see cref="Subscribe"/> before it reads the
/// database and awaits it afterwards; <see cref="Notify"/> (after a local commit, or from a
/// PostgreSQL notification of another replica) completes every current subscriber. No
/// notification falls between the read and the wait.
/// </summary>
internal abstract class BroadcastSignal
{
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The signal of the next <see cref="Notify"/>.</summary>
    public Task Subscribe() => Volatile.Read(ref _current).Task;

    /// <summary>Wakes every subscriber.</summary>
    public void Notify()
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _current, next).TrySetResult();
    }
}
