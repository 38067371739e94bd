using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>Wakes a <see cref="BroadcastSignal"/> on every notification of its channel, and once after a reconnect.</summary>
internal sealed class SignalNotificationHandler(string channel, BroadcastSignal signal) : INotificationHandler
{
    public string Channel => channel;

    public void Handle(string payload) => signal.Notify();

    public void Reconnected() => signal.Notify();
}
