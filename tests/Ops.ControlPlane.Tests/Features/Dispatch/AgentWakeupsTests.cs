using Ops.ControlPlane.Features.Dispatch;

namespace Ops.ControlPlane.Tests.Features.Dispatch;

/// <summary>
/// A Pull skips its read only while the agent's queue is known empty here (issue 14,
/// <see cref="AgentWakeups.IsDrained"/>): an empty read, no wake-up for the agent nor a wake-all
/// since that read began, and less than a second ago.
/// </summary>
public sealed class AgentWakeupsTests
{
    private readonly Guid _agent = Guid.NewGuid();
    private readonly Guid _other = Guid.NewGuid();

    [Fact]
    public void EmptyRead_MakesTheQueueDrainedUntilTheAgentIsWoken()
    {
        var wakeups = new AgentWakeups();
        Assert.False(wakeups.IsDrained(_agent)); // never read: read

        wakeups.ReadDrained(_agent, wakeups.MarkRead(_agent));
        Assert.True(wakeups.IsDrained(_agent));

        wakeups.Notify(_other);
        Assert.True(wakeups.IsDrained(_agent)); // another agent's wake-up changes nothing here

        wakeups.Notify(_agent);
        Assert.False(wakeups.IsDrained(_agent));
    }

    [Fact]
    public void WakeUpDuringTheRead_KeepsTheNextPullReading()
    {
        var wakeups = new AgentWakeups();
        var mark = wakeups.MarkRead(_agent);
        wakeups.Notify(_agent); // a job committed after the read's snapshot, woken before the read returned
        wakeups.ReadDrained(_agent, mark);
        Assert.False(wakeups.IsDrained(_agent));
    }

    [Fact]
    public void WakeAll_AndAReadThatFoundWork_EndTheDrainedState()
    {
        var wakeups = new AgentWakeups();
        wakeups.ReadDrained(_agent, wakeups.MarkRead(_agent));
        wakeups.NotifyAll(); // missed notifications: every queue may have work
        Assert.False(wakeups.IsDrained(_agent));

        wakeups.ReadDrained(_agent, wakeups.MarkRead(_agent));
        wakeups.ReadFound(_agent);
        Assert.False(wakeups.IsDrained(_agent));
    }

    [Fact]
    public async Task DrainedState_RunsOutAfterASecond()
    {
        var wakeups = new AgentWakeups();
        wakeups.ReadDrained(_agent, wakeups.MarkRead(_agent));
        await Task.Delay(AgentWakeups.DrainedFor + TimeSpan.FromMilliseconds(100));
        Assert.False(wakeups.IsDrained(_agent));
    }
}
