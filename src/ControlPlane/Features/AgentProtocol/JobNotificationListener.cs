using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.ControlPlane.Features.Dispatch;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// <c>LISTEN ops_jobs</c> on a dedicated connection (DESIGN.md §5): every notification carries an
/// agent id whose job was queued, requeued or cancelled, possibly by another control-plane
/// replica, and wakes that agent's Pull waiting on this node. Reconnects after a failure; while
/// disconnected, Pulls still end at their <c>wait_ms</c> and find the work then.
/// </summary>
internal sealed class JobNotificationListener(NpgsqlDataSource dataSource, AgentWakeups wakeups, ILogger<JobNotificationListener> logger) : BackgroundService
{
    public const string Channel = "ops_jobs";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var agentId))
                    {
                        wakeups.Notify(agentId);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                DispatchLog.Listening(logger, Channel);
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
                DispatchLog.ListenFailed(logger, ex, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }
}
