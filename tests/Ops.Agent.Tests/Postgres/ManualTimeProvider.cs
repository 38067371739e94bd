namespace Ops.Agent.Tests.Postgres;

/// <summary>A clock whose UTC time the test sets; timers and timestamps stay real.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
