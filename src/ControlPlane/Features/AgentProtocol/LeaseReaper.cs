using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Dispatch;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Enforces leases and deadlines (DESIGN.md §5), every <see cref="AgentProtocolOptions.ReaperInterval"/>:
/// a leased job not started within its lease returns to <c>queued</c> with <c>attempt + 1</c>;
/// a running job whose agent stopped heart-beating for the grace period becomes <c>lost</c>
/// (re-queued instead when its kind is retry-safe); an unfinished job past its deadline becomes
/// <c>timed_out</c> and, if an agent holds it, its cancellation is delivered. Safe with several
/// replicas: rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>.
/// Time when no replica reaped (every control plane down, or the database unreachable, so no
/// agent could heartbeat either) does not count against agents: a pass that finds the shared
/// <c>reaper_clock</c> older than <see cref="OutageAfter"/> shifts the leases of leased and
/// running jobs by that gap first, so a control-plane outage longer than the running grace does
/// not turn every running job <c>lost</c>.
/// </summary>
internal sealed class LeaseReaper(
    NpgsqlDataSource dataSource,
    AgentWakeups wakeups,
    AgentProtocolOptions options,
    Agents.AgentOptions agentOptions,
    Infrastructure.Telemetry.FleetMetrics fleet,
    TimeProvider timeProvider,
    ILogger<LeaseReaper> logger) : BackgroundService
{
    private static readonly string[] RetrySafeKinds = OperationKindCatalog.All.Where(k => k.RetrySafe).Select(k => k.Name).ToArray();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReaperInterval, timeProvider);
        var lastCount = DateTimeOffset.MinValue;
        do
        {
            try
            {
                await ReapAsync(stoppingToken);
                if (timeProvider.GetUtcNow() - lastCount >= TimeSpan.FromSeconds(5))
                {
                    await CountAsync(stoppingToken);
                    lastCount = timeProvider.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                ReaperLogFailed(ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>A gap between two reaper passes (of any replica) longer than this is an outage: five intervals, at least 5 s.</summary>
    private TimeSpan OutageAfter => TimeSpan.FromTicks(Math.Max(options.ReaperInterval.Ticks * 5, TimeSpan.FromSeconds(5).Ticks));

    /// <summary>One pass; returns the agents that were woken.</summary>
    public async Task<IReadOnlyCollection<Guid>> ReapAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One transaction per pass, holding the clock's row lock until it commits: passes of several
        // replicas run one after another, and whoever moves the clock waits for the pass in flight.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The previous pass of any replica; the row lock makes replicas starting at once shift once.
        var previous = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
            """
            UPDATE reaper_clock c SET last_pass_at = greatest(p.prev, @now)
              FROM (SELECT last_pass_at AS prev FROM reaper_clock FOR UPDATE) p
            RETURNING p.prev
            """,
            new { now }, transaction: transaction, cancellationToken: cancellationToken));
        if (previous is { } prev && now - Ops.ControlPlane.Infrastructure.Storage.DbTime.Utc(prev) is var gap && gap > OutageAfter)
        {
            var shifted = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE jobs SET lease_expires_at = lease_expires_at + @gap WHERE status IN ('leased', 'running') AND lease_expires_at IS NOT NULL",
                new { gap }, transaction: transaction, cancellationToken: cancellationToken));
            DispatchLog.LeasesShifted(logger, gap.TotalSeconds, shifted);
        }

        var requeued = (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            UPDATE jobs SET status = 'queued', attempt = attempt + 1, queued_at = @now,
                            leased_at = NULL, lease_expires_at = NULL, cancel_delivered_at = NULL
             WHERE id IN (SELECT id FROM jobs
                           WHERE status = 'leased' AND lease_expires_at < @now AND deadline_at > @now
                           FOR UPDATE SKIP LOCKED)
            RETURNING agent_id
            """,
            new { now }, transaction: transaction, cancellationToken: cancellationToken))).ToList();

        var silent = (await connection.QueryAsync<(Guid AgentId, bool Retried)>(new CommandDefinition(
            """
            UPDATE jobs SET status = CASE WHEN kind = ANY(@retrySafe) THEN 'queued' ELSE 'lost' END,
                            attempt = CASE WHEN kind = ANY(@retrySafe) THEN attempt + 1 ELSE attempt END,
                            queued_at = CASE WHEN kind = ANY(@retrySafe) THEN @now ELSE queued_at END,
                            started_at = CASE WHEN kind = ANY(@retrySafe) THEN NULL ELSE started_at END,
                            leased_at = CASE WHEN kind = ANY(@retrySafe) THEN NULL ELSE leased_at END,
                            finished_at = CASE WHEN kind = ANY(@retrySafe) THEN NULL ELSE @now END,
                            error = CASE WHEN kind = ANY(@retrySafe) THEN NULL ELSE 'the agent stopped heart-beating while the job was running' END,
                            lease_expires_at = NULL, cancel_delivered_at = NULL
             WHERE id IN (SELECT id FROM jobs
                           WHERE status = 'running' AND lease_expires_at < @now AND deadline_at > @now
                           FOR UPDATE SKIP LOCKED)
            RETURNING agent_id, status = 'queued'
            """,
            new { now, retrySafe = RetrySafeKinds }, transaction: transaction, cancellationToken: cancellationToken))).ToList();

        var timedOut = (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            WITH t AS (
                UPDATE jobs SET status = 'timed_out', finished_at = @now, lease_expires_at = NULL,
                                error = 'the deadline passed before the job finished',
                                cancel_requested_at = CASE WHEN leased_at IS NOT NULL THEN coalesce(cancel_requested_at, @now) END
                 WHERE id IN (SELECT id FROM jobs
                               WHERE job_is_unfinished(status) AND deadline_at <= @now
                               FOR UPDATE SKIP LOCKED)
                RETURNING agent_id, leased_at IS NOT NULL AS held)
            SELECT agent_id FROM t WHERE held
            """,
            new { now }, transaction: transaction, cancellationToken: cancellationToken))).ToList();
        if (timedOut.Count > 0)
        {
            // Agents holding these jobs may wait on another replica: wake them there too.
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_notify('ops_jobs', a::text) FROM unnest(@ids::uuid[]) AS a",
                new { ids = timedOut.Distinct().ToArray() }, transaction: transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);

        var woken = requeued.Concat(silent.Where(s => s.Retried).Select(s => s.AgentId)).Concat(timedOut).ToHashSet();
        foreach (var agentId in woken)
        {
            wakeups.Notify(agentId);
        }

        if (requeued.Count + silent.Count + timedOut.Count > 0)
        {
            var retried = silent.Count(s => s.Retried);
            DispatchMetrics.Reaped.Add(requeued.Count, new KeyValuePair<string, object?>("reason", "lease_expired"));
            DispatchMetrics.Reaped.Add(silent.Count - retried, new KeyValuePair<string, object?>("reason", "lost"));
            DispatchMetrics.Reaped.Add(retried, new KeyValuePair<string, object?>("reason", "retried"));
            DispatchMetrics.Reaped.Add(timedOut.Count, new KeyValuePair<string, object?>("reason", "timed_out"));
            DispatchLog.Reaped(logger, requeued.Count, silent.Count - retried, retried, timedOut.Count);
        }

        return woken;
    }

    /// <summary>Refreshes the queue-depth, agents-online and fleet host-sample gauges (DESIGN.md §10).</summary>
    private async Task CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var since = timeProvider.GetUtcNow() - agentOptions.OfflineAfter;
        var queued = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM jobs WHERE status = 'queued'", cancellationToken: cancellationToken));
        var online = (await connection.QueryAsync<(Guid Id, string Hostname, string? Stats)>(new CommandDefinition(
            "SELECT id, hostname, last_stats::text FROM agents WHERE revoked_at IS NULL AND last_seen_at > @since",
            new { since }, cancellationToken: cancellationToken))).ToList();
        DispatchMetrics.SetCounts(queued, online.Count);
        fleet.Update(online.Where(a => a.Stats is not null).Select(a => (a.Id, a.Hostname, a.Stats!)));
    }

    private void ReaperLogFailed(Exception ex) => DispatchLog.ReaperFailed(logger, ex);

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
