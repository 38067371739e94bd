using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.ControlPlane.Features.Agents;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// Evaluates alert rules (DESIGN.md §15) as their inputs change, never by polling: host rules when
/// an agent's heartbeat sample is written (<c>NOTIFY ops_alerts 'agent:&lt;id&gt;'</c> from the
/// trigger of migration 0041), schedule rules when a slot outcome is recorded, everything when a
/// rule changes; otherwise asleep until the next due time on the <see cref="TimeProvider"/> (a
/// pending alert's <c>forSeconds</c> running out, an agent passing the offline threshold). Each
/// subject (agent or schedule) is evaluated in one transaction under an advisory lock on it, so
/// two replicas evaluating the same sample serialise and the second finds nothing left to change;
/// the unique index on active alerts deduplicates whatever else. Also emits <c>agent.offline</c>
/// once per silence of an agent.
/// </summary>
internal sealed class AlertEvaluator(
    NpgsqlDataSource dataSource,
    AlertTransitions transitions,
    AlertWork work,
    EventWriter events,
    AgentOptions agentOptions,
    TimeProvider timeProvider,
    ILogger<AlertEvaluator> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        work.RequestFullPass();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = work.Subscribe();
            DateTimeOffset? next;
            try
            {
                next = await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                AlertsLog.EvaluationFailed(logger, ex);
                work.RequestFullPass();
                wake = Task.Delay(Timeout.Infinite, stoppingToken);
                next = timeProvider.GetUtcNow() + TimeSpan.FromSeconds(2);
            }

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var waits = new List<Task> { wake, Task.Delay(Timeout.Infinite, cancel.Token) };
            if (next is { } due)
            {
                    waits.Add(Task.Delay(Infrastructure.Events.DueTime.Until(due, timeProvider.GetUtcNow(), MinimumWait), timeProvider, cancel.Token));
            }

            await Task.WhenAny(waits);
            await cancel.CancelAsync();
        }
    }

    /// <summary>Evaluates what was queued and what is due; returns the next due time.</summary>
    public async Task<DateTimeOffset?> PassAsync(CancellationToken cancellationToken)
    {
        var (agents, schedules, full) = work.Take();
        var now = timeProvider.GetUtcNow();
        var offlineBefore = now - agentOptions.OfflineAfter;
        var agentIds = new HashSet<Guid>(agents);
        var scheduleNames = new HashSet<string>(schedules, StringComparer.Ordinal);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            agentIds.UnionWith(await connection.QueryAsync<Guid>(new CommandDefinition(
                """
                SELECT agent_id FROM alerts WHERE state = 'pending' AND due_at <= @now AND agent_id IS NOT NULL
                UNION
                SELECT a.id FROM agents a
                 WHERE a.revoked_at IS NULL AND a.last_seen_at <= @offlineBefore
                   AND NOT EXISTS (SELECT 1 FROM agent_offline_notices n WHERE n.agent_id = a.id AND n.last_seen_at = a.last_seen_at)
                UNION
                SELECT id FROM agents WHERE @full AND revoked_at IS NULL
                UNION
                SELECT agent_id FROM alerts WHERE @full AND state IN ('pending', 'firing') AND agent_id IS NOT NULL
                """,
                new { now, offlineBefore, full }, cancellationToken: cancellationToken)));
            if (full)
            {
                scheduleNames.UnionWith(await connection.QueryAsync<string>(new CommandDefinition(
                    """
                    SELECT schedule FROM alert_rules WHERE kind = 'schedule'
                    UNION
                    SELECT schedule FROM alerts WHERE state IN ('pending', 'firing') AND schedule IS NOT NULL
                    """,
                    cancellationToken: cancellationToken)));
            }
        }

        foreach (var agentId in agentIds)
        {
            await EvaluateAgentAsync(agentId, cancellationToken);
        }

        foreach (var schedule in scheduleNames)
        {
            await EvaluateScheduleAsync(schedule, cancellationToken);
        }

        await using var read = await dataSource.OpenConnectionAsync(cancellationToken);
        var counts = (await read.QueryAsync<(string Severity, long Count)>(new CommandDefinition(
            "SELECT severity, count(*) FROM alerts WHERE state = 'firing' GROUP BY severity", cancellationToken: cancellationToken)))
            .ToDictionary(c => c.Severity, c => c.Count, StringComparer.Ordinal);
        AlertMetrics.SetFiring(counts);
        var nextDue = await read.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            """
            SELECT min(t) FROM (
                SELECT min(due_at) AS t FROM alerts WHERE state = 'pending'
                UNION ALL
                SELECT min(a.last_seen_at) + @offlineAfter FROM agents a
                 WHERE a.revoked_at IS NULL AND a.last_seen_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM agent_offline_notices n WHERE n.agent_id = a.id AND n.last_seen_at = a.last_seen_at)) d
            """,
            new { offlineAfter = agentOptions.OfflineAfter }, cancellationToken: cancellationToken));
        return DbTime.Utc(nextDue);
    }

    /// <summary>Applies every host rule to one agent's latest sample, and notices it going offline.</summary>
    public async Task EvaluateAgentAsync(Guid agentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, $"agent:{agentId}", cancellationToken);
        var now = timeProvider.GetUtcNow();
        var agent = await connection.QuerySingleOrDefaultAsync<AgentSample>(new CommandDefinition(
            "SELECT id, hostname, last_stats::text AS last_stats, last_seen_at, revoked_at FROM agents WHERE id = @agentId",
            new { agentId }, transaction, cancellationToken: cancellationToken));
        var rules = (await connection.QueryAsync<AlertRuleRow>(new CommandDefinition(
            $"SELECT {AlertRuleRow.Columns} FROM alert_rules WHERE kind = 'host'", transaction: transaction, cancellationToken: cancellationToken))).ToList();
        var targeting = agent is { RevokedAt: null }
            ? (await connection.QueryAsync<string>(new CommandDefinition(
                """
                SELECT r.name FROM alert_rules r, agents a
                 WHERE a.id = @agentId AND r.kind = 'host' AND (r.target_labels IS NULL OR a.labels @> r.target_labels)
                """,
                new { agentId }, transaction, cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal)
            : [];
        var active = (await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"SELECT {AlertRow.Columns} FROM {AlertRow.From} WHERE al.agent_id = @agentId AND al.state IN ('pending', 'firing') FOR UPDATE OF al",
            new { agentId }, transaction, cancellationToken: cancellationToken))).ToDictionary(a => (a.RuleName, a.Subject));

        var info = new AlertSubjectInfo(agentId, agent?.Hostname, null);
        var lastSeen = DbTime.Utc(agent?.LastSeenAt);
        // A silent agent's last sample is stale: nothing new starts or fires on old data, and a firing
        // alert keeps firing until the agent reports again (agent_offline rules say it is silent); a
        // pending one is dropped below, as the condition is no longer seen to hold.
        var stale = lastSeen is not { } seen || now - seen >= agentOptions.OfflineAfter;
        foreach (var rule in rules.Where(r => targeting.Contains(r.Name)))
        {
            if (stale && rule.Metric != AlertMetricNames.AgentOffline)
            {
                foreach (var key in active.Where(a => a.Key.RuleName == rule.Name && a.Value.State == "firing").Select(a => a.Key).ToList())
                {
                    active.Remove(key);
                }

                continue;
            }

            foreach (var observation in HostRuleEvaluation.Observe(rule, agentId, agent!.LastStats, lastSeen, now, agentOptions.OfflineAfter))
            {
                active.Remove((rule.Name, observation.Subject), out var current);
                await transitions.ApplyAsync(connection, transaction, rule, current, observation.Subject, observation, info, now, cancellationToken);
            }
        }

        // Active alerts nothing observed this time: the rule was deleted or retargeted, the mount is gone, the agent revoked.
        var byName = rules.ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var ((ruleName, subject), alert) in active)
        {
            var rule = byName.GetValueOrDefault(ruleName) ?? new AlertRuleRow { Name = ruleName, Kind = "host", Severity = alert.Severity };
            await transitions.ApplyAsync(connection, transaction, rule, alert, subject, null, info, now, cancellationToken);
        }

        if (agent is { RevokedAt: null, LastSeenAt: { } seenAt } && now - DbTime.Utc(seenAt) >= agentOptions.OfflineAfter)
        {
            var noticed = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO agent_offline_notices (agent_id, last_seen_at, noticed_at) VALUES (@agentId, @seenAt, @now) ON CONFLICT DO NOTHING",
                new { agentId, seenAt, now }, transaction, cancellationToken: cancellationToken));
            if (noticed == 1)
            {
                await events.AppendAsync(connection, transaction, EventTypes.AgentOffline, "agent", agentId.ToString(), new
                {
                    agentId,
                    hostname = agent.Hostname,
                    lastSeenAt = DbTime.Utc(seenAt),
                    offlineAfterSeconds = agentOptions.OfflineAfter.TotalSeconds,
                }, cancellationToken);
                AlertsLog.AgentOffline(logger, agentId, agent.Hostname, DbTime.Utc(seenAt));
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Applies the schedule rules of <paramref name="schedule"/> to its streak of failed slots.</summary>
    public async Task EvaluateScheduleAsync(string schedule, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, $"schedule:{schedule}", cancellationToken);
        var now = timeProvider.GetUtcNow();
        var failures = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT consecutive_failures FROM schedule_streaks WHERE schedule = @schedule", new { schedule }, transaction, cancellationToken: cancellationToken));
        var rules = (await connection.QueryAsync<AlertRuleRow>(new CommandDefinition(
            $"SELECT {AlertRuleRow.Columns} FROM alert_rules WHERE kind = 'schedule' AND schedule = @schedule",
            new { schedule }, transaction, cancellationToken: cancellationToken))).ToList();
        var subject = $"schedule:{schedule}";
        var active = (await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"SELECT {AlertRow.Columns} FROM {AlertRow.From} WHERE al.subject = @subject AND al.state IN ('pending', 'firing') FOR UPDATE OF al",
            new { subject }, transaction, cancellationToken: cancellationToken))).ToDictionary(a => a.RuleName, StringComparer.Ordinal);
        var info = new AlertSubjectInfo(null, null, schedule);
        foreach (var rule in rules)
        {
            active.Remove(rule.Name, out var current);
            var observation = failures is { } n ? new AlertObservation(subject, null, n, n >= rule.ConsecutiveFailures) : null;
            await transitions.ApplyAsync(connection, transaction, rule, current, subject, observation, info, now, cancellationToken);
        }

        foreach (var (ruleName, alert) in active)
        {
            await transitions.ApplyAsync(connection, transaction, new AlertRuleRow { Name = ruleName, Kind = "schedule", Severity = alert.Severity },
                alert, subject, null, info, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('ops_alerts:' || $1, 0))", connection, transaction);
        command.Parameters.AddWithValue(key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed class AgentSample
    {
        public Guid Id { get; set; }
        public string Hostname { get; set; } = "";
        public string? LastStats { get; set; }
        public DateTime? LastSeenAt { get; set; }
        public DateTime? RevokedAt { get; set; }
    }
}
