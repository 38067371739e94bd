namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// A clock whose UTC time the test sets (tests/Ops.Agent.Tests/Postgres/ManualTimeProvider.cs);
/// timers stay real, so a loop sleeping on it must be woken after the time moves.
/// </summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private long _ticks = now.UtcTicks;

    public DateTimeOffset Now
    {
        get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
    }

    public override DateTimeOffset GetUtcNow() => Now;
}
