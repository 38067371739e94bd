namespace Ops.Agent.Tests.TestSupport;

/// <summary>A clock standing still at <paramref name="now"/> (timers and timestamps still run on the system clock).</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
