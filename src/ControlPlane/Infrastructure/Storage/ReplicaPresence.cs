using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// Whether another control-plane replica listens on this database, for notifications only another
/// replica needs (issue 14: on one node the in-process wake-up is enough). Read from the number of
/// <c>ops-listener</c> connections in <c>pg_stat_activity</c> (<see cref="ListenerDataSource"/>) at
/// most once per <see cref="Recheck"/>; a replica that starts announces itself on
/// <c>ops_replicas</c>, which makes every other replica assume company at once. When in doubt
/// (never checked, a failed check, this replica's own listener reconnecting) the answer is yes.
/// </summary>
internal sealed class ReplicaPresence(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    /// <summary>How long one answer is trusted.</summary>
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;
    private bool _others = true;
    private int _listenerPid;

    /// <summary>The backend pid of this replica's LISTEN connection, 0 while it is not connected (set by <see cref="NotificationListener"/>).</summary>
    public int ListenerPid
    {
        get => Volatile.Read(ref _listenerPid);
        set => Volatile.Write(ref _listenerPid, value);
    }

    /// <summary>True when another replica may be listening; false only when the last check saw this replica's listener alone.</summary>
    public async ValueTask<bool> OthersListeningAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var own = ListenerPid;
        if (own == 0)
        {
            return true; // not listening yet (or reconnecting): cannot tell who else is
        }

        lock (_gate)
        {
            if (now - _checkedAt < Recheck && now >= _checkedAt)
            {
                return _others;
            }
        }

        bool others;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            others = await ListenerDataSource.CountOtherListenersAsync(connection, own, cancellationToken) > 0;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            others = true;
        }

        lock (_gate)
        {
            _others = others;
            _checkedAt = now;
        }

        return others;
    }

    /// <summary>Another replica announced itself (or this one's listener reconnected): assume company until the next check.</summary>
    public void Joined()
    {
        lock (_gate)
        {
            _others = true;
            _checkedAt = timeProvider.GetUtcNow();
        }
    }
}

/// <summary><c>NOTIFY ops_replicas, '&lt;listener pid&gt;'</c>: a replica's LISTEN connection is up (<see cref="NotificationListener"/>).</summary>
internal sealed class ReplicaNotificationHandler(ReplicaPresence presence) : INotificationHandler
{
    /// <summary>The channel replicas announce themselves on.</summary>
    public const string ChannelName = "ops_replicas";

    /// <inheritdoc />
    public string Channel => ChannelName;

    /// <inheritdoc />
    public void Handle(string payload) => presence.Joined();

    /// <inheritdoc />
    public void Reconnected() => presence.Joined();
}
