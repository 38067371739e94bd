using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// Wakes agents after a commit without a notification inside the committing transaction (issue 14,
/// DESIGN.md §5): the agents' Pulls on this replica are woken at once in-process, and the other
/// replicas learn it from one debounced <c>NOTIFY ops_jobs</c> per short window carrying every
/// agent id of that window (comma-separated, at most <see cref="IdsPerNotification"/> per payload:
/// PostgreSQL's payload limit is 8,000 bytes), sent from its own transaction after the writers
/// committed. Writers on the hot path thus never queue on PostgreSQL's notify lock at COMMIT.
/// A replica that missed notifications (its LISTEN connection dropped) wakes all its waiting Pulls
/// once when it reconnects (<see cref="AgentWakeupHandler.Reconnected"/>). With no other replica
/// listening on the database (<see cref="ReplicaPresence"/>) nothing is sent at all.
/// </summary>
internal sealed class AgentWakeupPublisher(
    AgentWakeups wakeups, NpgsqlDataSource dataSource, ReplicaPresence replicas, ILogger<AgentWakeupPublisher> logger) : BackgroundService
{
    /// <summary>Agent ids per notification payload (37 bytes each with the separator).</summary>
    public const int IdsPerNotification = 200;

    /// <summary>How long ids gather before one notification goes out.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(1);

    private readonly object _gate = new();
    private HashSet<Guid> _pending = [];
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes <paramref name="agentIds"/> here now and on the other replicas within a window. Call after commit.</summary>
    public void Publish(IEnumerable<Guid> agentIds)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            foreach (var agentId in agentIds)
            {
                wakeups.Notify(agentId);
                _pending.Add(agentId);
            }

            if (_pending.Count > 0)
            {
                wake = _signal;
            }
        }

        wake?.TrySetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Task signal;
            lock (_gate)
            {
                signal = _pending.Count > 0 ? Task.CompletedTask : _signal.Task;
            }

            try
            {
                await signal.WaitAsync(stoppingToken);
                await Task.Delay(Window, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping: flush what is left below, then end.
            }

            HashSet<Guid> batch;
            lock (_gate)
            {
                batch = _pending;
                _pending = [];
                if (_signal.Task.IsCompleted)
                {
                    _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            if (batch.Count > 0)
            {
                await SendAsync(batch);
            }
        }
    }

    private async Task SendAsync(HashSet<Guid> batch)
    {
        var payloads = batch.Chunk(IdsPerNotification).Select(ids => string.Join(',', ids)).ToArray();
        try
        {
            if (!await replicas.OthersListeningAsync(CancellationToken.None))
            {
                return;
            }

            await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
            await using var notify = new NpgsqlCommand("SELECT pg_notify('ops_jobs', p) FROM unnest($1::text[]) AS p", connection);
            notify.Parameters.AddWithValue(payloads);
            await notify.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // Other replicas' Pulls then find the jobs at their wait_ms at the latest; nothing is lost.
            DispatchLog.WakeupNotifyFailed(logger, e, batch.Count);
        }
    }
}
