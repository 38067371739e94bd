namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// Receives the PostgreSQL notifications of one channel (<c>LISTEN</c>), from this replica's
/// commits and every other replica's. Registered as a singleton <see cref="INotificationHandler"/>;
/// <see cref="NotificationListener"/> listens on every registered channel over one connection.
/// </summary>
internal interface INotificationHandler
{
    /// <summary>The channel name, e.g. <c>ops_jobs</c>.</summary>
    string Channel { get; }

    /// <summary>One notification's payload; runs on the listener's connection thread: keep it short, never block.</summary>
    void Handle(string payload);

    /// <summary>
    /// Called after (re)connecting, when notifications may have been missed while disconnected:
    /// the handler wakes its consumers once so they rescan the database.
    /// </summary>
    void Reconnected();
}
