using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.Contracts.Json;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// Data access of alert rules and alerts for the API. Saving or deleting a rule commits with its
/// audit record and <c>NOTIFY ops_alerts 'rules'</c>, so every replica evaluates again at once
/// (a lowered threshold resolves, a deleted rule's alerts resolve).
/// </summary>
internal sealed class AlertRuleStore(NpgsqlDataSource dataSource, AuditWriter audit, TimeProvider timeProvider)
{
    /// <summary>Creates or replaces rule <paramref name="name"/>; returns it and whether it was created.</summary>
    public async Task<(AlertRuleResponse Rule, bool Created)> PutAsync(string name, PutAlertRuleRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var isHost = request.Metric is not null;
        var row = await connection.QuerySingleAsync<PutRow>(new CommandDefinition(
            $"""
            INSERT INTO alert_rules AS r (name, kind, metric, mount, op, threshold, for_seconds, target_labels, schedule, consecutive_failures,
                                          severity, runbook, parameters, description, created_by, created_at, updated_at)
            VALUES (@name, @kind, @metric, @mount, @op, @threshold, @forSeconds, @labels::jsonb, @schedule, @consecutiveFailures,
                    @severity, @runbook, @parameters::jsonb, @description, @by, @now, @now)
            ON CONFLICT (name) DO UPDATE
               SET kind = EXCLUDED.kind, metric = EXCLUDED.metric, mount = EXCLUDED.mount, op = EXCLUDED.op, threshold = EXCLUDED.threshold,
                   for_seconds = EXCLUDED.for_seconds, target_labels = EXCLUDED.target_labels, schedule = EXCLUDED.schedule,
                   consecutive_failures = EXCLUDED.consecutive_failures, severity = EXCLUDED.severity, runbook = EXCLUDED.runbook,
                   parameters = EXCLUDED.parameters, description = EXCLUDED.description, updated_at = EXCLUDED.updated_at
            RETURNING (xmax = 0) AS created, {AlertRuleRow.Columns}
            """,
            new
            {
                name,
                kind = isHost ? "host" : "schedule",
                metric = request.Metric,
                mount = request.Mount,
                op = request.Op,
                threshold = request.Threshold,
                forSeconds = isHost ? request.ForSeconds ?? 0 : 0,
                labels = request.Target?.Labels is { } l ? JsonSerializer.Serialize(l, OpsJson.Default) : null,
                schedule = request.Schedule,
                consecutiveFailures = request.ConsecutiveFailures,
                severity = request.Severity,
                runbook = request.Runbook,
                parameters = request.Parameters is { ValueKind: JsonValueKind.Object } p ? p.GetRawText() : null,
                description = request.Description,
                by = caller.Subject,
                now,
            },
            transaction, cancellationToken: cancellationToken));
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, row.Created ? "alert_rule.create" : "alert_rule.update", "alert_rule", name, caller.ClientAddress, caller.TraceId, request), cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_notify('{AlertWork.ChannelName}', 'rules')", transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (row.ToResponse(), row.Created);
    }

    public async Task<AlertRuleResponse?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<AlertRuleRow>(new CommandDefinition(
            $"SELECT {AlertRuleRow.Columns} FROM alert_rules WHERE name = @name", new { name }, cancellationToken: cancellationToken)))?.ToResponse();
    }

    public async Task<IReadOnlyList<AlertRuleResponse>> ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AlertRuleRow>(new CommandDefinition(
            $"SELECT {AlertRuleRow.Columns} FROM alert_rules WHERE (@after::text IS NULL OR name > @after) ORDER BY name LIMIT @limit",
            new { after, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToResponse()).ToList();
    }

    /// <summary>Deletes the rule; its active alerts resolve on the next evaluation (at once). False when there is none.</summary>
    public async Task<bool> DeleteAsync(string name, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alert_rules WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken)) == 0)
        {
            return false;
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "alert_rule.delete", "alert_rule", name, caller.ClientAddress, caller.TraceId), cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_notify('{AlertWork.ChannelName}', 'rules')", transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Alerts newest first, optionally of one state and rule, before <paramref name="before"/> (keyset on id, UUIDv7).</summary>
    public async Task<IReadOnlyList<AlertResponse>> ListAlertsAsync(string? state, string? rule, Guid? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"""
            SELECT {AlertRow.Columns} FROM {AlertRow.From}
             WHERE (@state::text IS NULL OR al.state = @state)
               AND (@rule::text IS NULL OR al.rule_name = @rule)
               AND (@before::uuid IS NULL OR al.id < @before)
             ORDER BY al.id DESC
             LIMIT @limit
            """,
            new { state, rule, before, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToResponse()).ToList();
    }

    public async Task<AlertResponse?> GetAlertAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
            $"SELECT {AlertRow.Columns} FROM {AlertRow.From} WHERE al.id = @id", new { id }, cancellationToken: cancellationToken)))?.ToResponse();
    }

    private sealed class PutRow
    {
        public bool Created { get; set; }
        public string Name { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? Metric { get; set; }
        public string? Mount { get; set; }
        public string? Op { get; set; }
        public double? Threshold { get; set; }
        public int ForSeconds { get; set; }
        public string? TargetLabels { get; set; }
        public string? Schedule { get; set; }
        public int? ConsecutiveFailures { get; set; }
        public string Severity { get; set; } = "";
        public string? Runbook { get; set; }
        public string? Parameters { get; set; }
        public string? Description { get; set; }
        public string CreatedBy { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime UpdatedAt { get; set; }

        public AlertRuleResponse ToResponse() => new AlertRuleRow
        {
            Name = Name, Kind = Kind, Metric = Metric, Mount = Mount, Op = Op, Threshold = Threshold, ForSeconds = ForSeconds, TargetLabels = TargetLabels,
            Schedule = Schedule, ConsecutiveFailures = ConsecutiveFailures, Severity = Severity, Runbook = Runbook, Parameters = Parameters,
            Description = Description, CreatedBy = CreatedBy, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        }.ToResponse();
    }
}
