using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// <c>LISTEN</c> on a dedicated connection for every registered <see cref="INotificationHandler"/>
/// (DESIGN.md §5: <c>ops_jobs</c> wakes agents' Pulls; <c>ops_webhooks</c>, <c>ops_runbooks</c>, <c>ops_schedules</c> …
/// wake background loops on every replica). Reconnects after a failure with backoff, and each
/// time it listens (the first time too) tells each handler, so its consumers rescan what they may
/// have missed. The connection is its own
/// (<see cref="ListenerDataSource"/>: unpooled, named <c>ops-listener</c>); once listening it
/// announces the replica with <c>NOTIFY ops_replicas</c>, so the others start sending what only
/// another replica needs (<see cref="ReplicaNotificationHandler"/>).
/// </summary>
internal sealed class NotificationListener(
    ListenerDataSource listenerDataSource, ReplicaPresence presence, IEnumerable<INotificationHandler> handlers, ILogger<NotificationListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var byChannel = handlers.GroupBy(h => h.Channel, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        if (byChannel.Count == 0)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await listenerDataSource.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (byChannel.TryGetValue(e.Channel, out var targets))
                    {
                        foreach (var handler in targets)
                        {
                            handler.Handle(e.Payload);
                        }
                    }
                };
                foreach (var channel in byChannel.Keys)
                {
                    await using var listen = new NpgsqlCommand($"LISTEN {channel}", connection);
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                    StorageLog.Listening(logger, channel);
                }

                await using (var announce = new NpgsqlCommand($"SELECT pg_notify('{ReplicaNotificationHandler.ChannelName}', pg_backend_pid()::text)", connection))
                {
                    await announce.ExecuteNonQueryAsync(stoppingToken);
                }

                presence.ListenerPid = connection.ProcessID;

                // Also after the first LISTEN: a consumer's own first scan may have run before it
                // (hosted services start side by side), and what changed in between notified no one.
                foreach (var handler in byChannel.Values.SelectMany(h => h))
                {
                    handler.Reconnected();
                }

                delay = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or System.IO.IOException)
            {
                presence.ListenerPid = 0;
                StorageLog.ListenFailed(logger, ex, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }
}
