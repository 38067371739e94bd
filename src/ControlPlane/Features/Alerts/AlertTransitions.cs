using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// The alert state machine, written once (DESIGN.md §15): <c>pending → firing → resolved</c>. Every
/// change runs in the caller's transaction together with its event (<c>alert.firing</c>,
/// <c>alert.resolved</c>) and, on firing, the rule's remediation. A pending alert whose condition
/// stops holding before <c>forSeconds</c> is dropped (it never fired, nobody was told); one whose
/// samples stopped for longer than the offline threshold starts its <c>forSeconds</c> again.
/// </summary>
internal sealed class AlertTransitions(EventWriter events, IAlertRemediation remediation, Agents.AgentOptions agentOptions, ILogger<AlertTransitions> logger)
{
    /// <summary>Longest silence between two matching samples of a pending alert: the offline threshold.</summary>
    private TimeSpan MaxSampleGap => agentOptions.OfflineAfter;

    /// <summary>Applies one observation (or its absence: <paramref name="observation"/> null) to the active alert of (rule, subject).</summary>
    public async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AlertRuleRow rule, AlertRow? active, string subject,
        AlertObservation? observation, AlertSubjectInfo info, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (observation is { Matches: true } seen)
        {
            if (active is null)
            {
                var id = Guid.CreateVersion7(now);
                var inserted = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO alerts (id, rule_name, subject, agent_id, mount, schedule, severity, state, value, pending_since, due_at, updated_at)
                    VALUES (@id, @rule, @subject, @agentId, @mount, @schedule, @severity, 'pending', @value, @now, @due, @now)
                    ON CONFLICT (rule_name, subject) WHERE state IN ('pending', 'firing') DO NOTHING
                    """,
                    new { id, rule = rule.Name, subject, agentId = info.AgentId, mount = seen.Mount, schedule = info.Schedule, severity = rule.Severity, value = seen.Value, now, due = now.AddSeconds(rule.ForSeconds) },
                    transaction, cancellationToken: cancellationToken));
                if (inserted == 1 && rule.ForSeconds == 0)
                {
                    await FireAsync(connection, transaction, rule, id, seen, info, now, cancellationToken);
                }
            }
            else if (active.State == "pending" && now - Infrastructure.Storage.DbTime.Utc(active.UpdatedAt) > MaxSampleGap)
            {
                // The samples stopped for a while (agent or control plane down): the condition was not seen to
                // hold all along, so forSeconds starts again from this sample.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE alerts SET value = @value, pending_since = @now, due_at = @due, updated_at = @now WHERE id = @id",
                    new { id = active.Id, value = seen.Value, now, due = now.AddSeconds(rule.ForSeconds) }, transaction, cancellationToken: cancellationToken));
            }
            else if (active.State == "pending" && active.DueAt is { } due && now >= Infrastructure.Storage.DbTime.Utc(due))
            {
                await FireAsync(connection, transaction, rule, active.Id, seen, info, now, cancellationToken);
            }
            else if (active.State == "pending")
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE alerts SET value = @value, updated_at = @now WHERE id = @id",
                    new { id = active.Id, value = seen.Value, now }, transaction, cancellationToken: cancellationToken));
            }
            else if (active.Value != seen.Value)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE alerts SET value = @value, updated_at = @now WHERE id = @id",
                    new { id = active.Id, value = seen.Value, now }, transaction, cancellationToken: cancellationToken));
            }

            return;
        }

        if (active is null)
        {
            return;
        }

        if (active.State == "pending")
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM alerts WHERE id = @id", new { id = active.Id }, transaction, cancellationToken: cancellationToken));
            return;
        }

        await ResolveAsync(connection, transaction, rule, active, observation?.Value ?? active.Value, info,
            observation is null ? "no longer observed (agent revoked, mount gone or rule changed)" : "condition no longer holds", now, cancellationToken);
    }

    private async Task FireAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AlertRuleRow rule, Guid id, AlertObservation seen, AlertSubjectInfo info, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alerts SET state = 'firing', fired_at = @now, due_at = NULL, value = @value, updated_at = @now WHERE id = @id",
            new { id, value = seen.Value, now }, transaction, cancellationToken: cancellationToken));
        await events.AppendAsync(connection, transaction, EventTypes.AlertFiring, "alert", id.ToString(),
            EventData(id, rule, "firing", seen.Value, seen.Mount, info, now, null), cancellationToken);
        AlertMetrics.Transitions.Add(1, new KeyValuePair<string, object?>("transition", "firing"));
        AlertsLog.Firing(logger, rule.Name, seen.Value, info.Hostname ?? info.Schedule ?? "?", seen.Mount ?? "");

        if (rule.Runbook is not { } runbook)
        {
            return;
        }

        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alert.id"] = JsonValue.Create(id.ToString()),
            ["alert.rule"] = JsonValue.Create(rule.Name),
            ["alert.agentId"] = info.AgentId is { } agentId ? JsonValue.Create(agentId.ToString()) : null,
            ["alert.hostname"] = info.Hostname is { } h ? JsonValue.Create(h) : null,
            ["alert.mount"] = seen.Mount is { } m ? JsonValue.Create(m) : null,
            ["alert.schedule"] = info.Schedule is { } s ? JsonValue.Create(s) : null,
            ["alert.value"] = JsonValue.Create(seen.Value),
            ["alert.severity"] = JsonValue.Create(rule.Severity),
        };
        var parameters = rule.Parameters is null
            ? new JsonObject()
            : AlertParameters.Resolve(JsonDocument.Parse(rule.Parameters).RootElement, values) as JsonObject ?? new JsonObject();
        AlertRemediationResult result;
        await using (var savepoint = new NpgsqlCommand("SAVEPOINT alert_remediation", connection, transaction))
        {
            await savepoint.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            result = await remediation.StartAsync(new AlertRemediationRequest(id, rule.Name, runbook, parameters, $"alert-rule:{rule.Name}"), connection, transaction, cancellationToken);
        }
        catch (PostgresException ex)
        {
            // A remediation that cannot start never keeps the alert from firing.
            await using var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT alert_remediation", connection, transaction);
            await rollback.ExecuteNonQueryAsync(cancellationToken);
            result = new AlertRemediationResult("failed", null, ex.MessageText);
        }

        await using var store = new NpgsqlCommand("UPDATE alerts SET remediation = $2 WHERE id = $1", connection, transaction);
        store.Parameters.AddWithValue(id);
        store.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            Value = JsonSerializer.Serialize(new { status = result.Status, runId = result.RunId, message = result.Message, runbook, parameters }, Ops.Contracts.Json.OpsJson.Default),
        });
        await store.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>firing → resolved, with its <c>alert.resolved</c> event.</summary>
    public async Task ResolveAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AlertRuleRow rule, AlertRow active, double? value, AlertSubjectInfo info, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alerts SET state = 'resolved', resolved_at = @now, value = @value, updated_at = @now WHERE id = @id",
            new { id = active.Id, value, now }, transaction, cancellationToken: cancellationToken));
        await events.AppendAsync(connection, transaction, EventTypes.AlertResolved, "alert", active.Id.ToString(),
            EventData(active.Id, rule, "resolved", value, active.Mount, info, Infrastructure.Storage.DbTime.Utc(active.FiredAt), reason, now), cancellationToken);
        AlertMetrics.Transitions.Add(1, new KeyValuePair<string, object?>("transition", "resolved"));
        AlertsLog.Resolved(logger, rule.Name, info.Hostname ?? info.Schedule ?? "?", active.Mount ?? "", reason);
    }

    private static object EventData(Guid id, AlertRuleRow rule, string state, double? value, string? mount, AlertSubjectInfo info, DateTimeOffset? firedAt, string? reason, DateTimeOffset? resolvedAt = null) => new
    {
        id,
        rule = rule.Name,
        severity = rule.Severity,
        state,
        metric = rule.Metric,
        op = rule.Op,
        threshold = rule.Threshold,
        forSeconds = rule.Kind == "host" ? rule.ForSeconds : (int?)null,
        consecutiveFailures = rule.ConsecutiveFailures,
        value,
        agentId = info.AgentId,
        hostname = info.Hostname,
        mount,
        schedule = info.Schedule,
        firedAt,
        resolvedAt,
        reason,
        runbook = rule.Runbook,
    };
}
