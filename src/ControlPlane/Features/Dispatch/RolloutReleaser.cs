using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// The due-time half of rollouts and lock waits (DESIGN.md §11). Batches are released by the
/// database in the transaction of the job that ends the previous batch (trigger
/// <c>jobs_status_then_rollout</c>, migration 0010); only what must wait for a time is done here:
/// a batch whose <c>batchPauseSeconds</c> has elapsed is released, and a lock wait past its
/// <c>lockTimeoutSeconds</c> ends <c>skipped</c>. The loop sleeps on the injected
/// <see cref="TimeProvider"/> until the earliest due time, or until <c>NOTIFY ops_rollout</c>
/// (<see cref="RolloutSignal"/>) announces a new one — never a polling interval. Due rows are
/// claimed with <c>FOR UPDATE SKIP LOCKED</c>, and <c>rollout_advance</c> re-checks under the
/// operation's row lock, so two replicas never release a batch twice.
/// </summary>
internal sealed class RolloutReleaser(
    NpgsqlDataSource dataSource, RolloutSignal signal, TimeProvider timeProvider, ILogger<RolloutReleaser> logger) : BackgroundService
{
    /// <summary>Longest sleep without a due time: a safety re-check, not a polling interval.</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = signal.Subscribe();
            TimeSpan sleep;
            try
            {
                var next = await ReleaseDueAsync(stoppingToken);
                var now = timeProvider.GetUtcNow();
                sleep = next is { } due ? (due > now ? due - now : TimeSpan.Zero) : MaxSleep;
                if (sleep > MaxSleep)
                {
                    sleep = MaxSleep;
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                RolloutLog.Failed(logger, ex);
                failures++;
                sleep = TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * (1 << Math.Min(failures, 6))));
            }

            if (sleep <= TimeSpan.Zero)
            {
                continue;
            }

            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(sleep, timeProvider, delay.Token);
            await Task.WhenAny(wake, timer);
            await delay.CancelAsync();
        }
    }

    /// <summary>
    /// One pass: releases the rollouts whose pause ended and ends the expired lock waits, then
    /// returns the next due time (<c>null</c>: nothing is due).
    /// </summary>
    public async Task<DateTimeOffset?> ReleaseDueAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        int released;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var due = (await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT id FROM operations WHERE rollout_next_at <= @now ORDER BY rollout_next_at LIMIT 100 FOR UPDATE SKIP LOCKED",
                new { now }, transaction, cancellationToken: cancellationToken))).ToList();
            foreach (var id in due)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT rollout_advance(@id, @now)", new { id, now }, transaction, cancellationToken: cancellationToken));
            }

            released = due.Count;
            await transaction.CommitAsync(cancellationToken);
        }

        var expired = (await connection.QueryAsync<(string Type, Guid Id)>(new CommandDefinition(
            "SELECT DISTINCT holder_type, holder_id FROM lock_waiters WHERE wait_until <= @now LIMIT 100",
            new { now }, cancellationToken: cancellationToken))).ToList();
        foreach (var (type, id) in expired)
        {
            // Each in its own transaction; lock_wait_expired re-checks under the lock manager's advisory lock.
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT lock_wait_expired(@type, @id, @now)", new { type, id, now }, cancellationToken: cancellationToken));
        }

        if (released + expired.Count > 0)
        {
            RolloutLog.Released(logger, released, expired.Count);
        }

        var next = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            """
            SELECT least((SELECT min(rollout_next_at) FROM operations WHERE rollout_next_at IS NOT NULL),
                         (SELECT min(wait_until) FROM lock_waiters))
            """, cancellationToken: cancellationToken));
        return next is { } n ? new DateTimeOffset(DateTime.SpecifyKind(n, DateTimeKind.Utc)) : null;
    }
}
