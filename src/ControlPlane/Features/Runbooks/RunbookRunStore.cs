using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;
using Ops.Contracts.Runbooks;
using Ops.ControlPlane.Features.Locks;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// Runbook runs (DESIGN.md §12): creation with typed parameters and idempotency, reads, cancel.
/// The engine (<see cref="RunbookEngine"/>) advances them.
/// </summary>
internal sealed class RunbookRunStore(NpgsqlDataSource dataSource, AuditWriter audit, RunbookEngine engine, OperationStore operations, Approvals.ApprovalStore approvals, TimeProvider timeProvider)
{
    /// <summary>
    /// Creates a run inside the caller's transaction (the route below, schedules, alert
    /// remediations): resolves the runbook version (default the latest; an archived runbook starts no new run), validates
    /// <paramref name="parameters"/> against its schema (defaults applied), resolves its lock keys,
    /// inserts the run and its steps (<c>pending</c>) and an audit record. With
    /// <paramref name="start"/> it then starts it (<see cref="RunbookEngine.StartRunAsync"/>); a
    /// caller that needs an approval first passes false: the run is left <c>pending_approval</c>
    /// (the engine ignores it) until the caller starts it with <see cref="RunbookEngine.StartRunAsync"/>.
    /// <paramref name="idempotencyKey"/>, per <paramref name="requestedBy"/>: the same key and
    /// request replay the earlier run, another request is a conflict. <paramref name="coveredBy"/>:
    /// the id of an approved approval that already covers this run (a schedule's, DESIGN.md §13): the
    /// run then starts without an approval of its own, and its audit record names that approval.
    /// </summary>
    public async Task<RunCreation> CreateRunAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string runbook,
        int? version,
        JsonElement? parameters,
        string requestedBy,
        string? idempotencyKey,
        bool start,
        CancellationToken cancellationToken,
        Caller? caller = null,
        Guid? coveredBy = null)
    {
        var found = await RunbookStore.GetAsync(connection, runbook, version, cancellationToken, transaction);
        if (found is null || found.ArchivedAt is not null)
        {
            return new RunCreation(null, false, true, null, new Dictionary<string, string[]>());
        }

        var document = RunbookStore.Document(found);
        var requestHash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"{runbook}\n{version}\n{(parameters is { ValueKind: not JsonValueKind.Undefined } p ? p.GetRawText() : "null")}"));
        if (idempotencyKey is not null)
        {
            var existing = await connection.QuerySingleOrDefaultAsync<(Guid Id, byte[] Hash)?>(new CommandDefinition(
                "SELECT id, request_hash FROM runbook_runs WHERE requested_by = @requestedBy AND idempotency_key = @idempotencyKey",
                new { requestedBy, idempotencyKey }, transaction, cancellationToken: cancellationToken));
            if (existing is { } earlier)
            {
                return earlier.Hash.AsSpan().SequenceEqual(requestHash)
                    ? new RunCreation(earlier.Id, true, false, null, new Dictionary<string, string[]>())
                    : new RunCreation(null, false, false, earlier.Id, new Dictionary<string, string[]>());
            }
        }

        var (values, errors) = RunParameters.Validate(document, parameters);
        var allErrors = new Dictionary<string, string[]>(errors, StringComparer.Ordinal);
        var now = timeProvider.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var locks = new List<string>();
        if (allErrors.Count == 0)
        {
            var resolver = RunbookEngine.Resolver(values, id, requestedBy, _ => null);
            for (var i = 0; i < (document.Locks?.Count ?? 0); i++)
            {
                using var key = JsonDocument.Parse(JsonSerializer.Serialize(document.Locks![i]));
                var lockErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                var resolved = RunbookReferences.Substitute(key.RootElement, $"locks[{i}]", resolver, lockErrors)?.GetValue<string>();
                if (lockErrors.Count > 0 || resolved is null || !LockKeys.IsValid(resolved))
                {
                    allErrors[$"locks[{i}]"] = [$"The lock key '{document.Locks[i]}' resolves to '{resolved}', which is not a valid lock key."];
                }
                else
                {
                    locks.Add(resolved);
                }
            }
        }

        if (allErrors.Count > 0)
        {
            return new RunCreation(null, false, false, null, allErrors);
        }

        var parametersJson = JsonSerializer.Serialize(values);
        // Four eyes (DESIGN.md §14): a runbook that declares approval or has a destructive step runs only once approved.
        var destructive = RunbookStore.HasDestructiveStep(document);
        var needsApproval = (found.RequiresApproval || destructive) && coveredBy is null;
        if (needsApproval)
        {
            start = false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO runbook_runs (id, runbook, version, parameters, status, phase, locks, lock_timeout_seconds, requested_by, created_at, updated_at, idempotency_key, request_hash)
            VALUES (@id, @runbook, @version, @parameters::jsonb, @status, 'main', @locks, @lockTimeout, @requestedBy, @now, @now, @idempotencyKey, @requestHash)
            """,
            new
            {
                id,
                runbook,
                status = start ? "waiting" : "pending_approval",
                version = found.Version,
                parameters = parametersJson,
                locks = locks.Distinct(StringComparer.Ordinal).ToArray(),
                lockTimeout = document.LockTimeoutSeconds ?? LockKeys.DefaultTimeoutSeconds,
                requestedBy,
                now,
                idempotencyKey,
                requestHash,
            },
            transaction, cancellationToken: cancellationToken));
        var steps = RunbookEngine.Phases(document).SelectMany(p => p.Steps.Select((s, i) => (Phase: p.Phase, Position: i, Name: s.Name!))).ToList();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO runbook_run_steps (run_id, phase, position, name, status)
            SELECT $1, s.phase, s.position, s.name, 'pending' FROM unnest($2::text[], $3::integer[], $4::text[]) AS s(phase, position, name)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(steps.Select(s => s.Phase).ToArray());
            insert.Parameters.AddWithValue(steps.Select(s => s.Position).ToArray());
            insert.Parameters.AddWithValue(steps.Select(s => s.Name).ToArray());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            requestedBy, caller?.Role, "runbook_run.create", "runbook_run", id.ToString(), caller?.ClientAddress, caller?.TraceId,
            new { runbook, version = found.Version, parameters = values, idempotencyKey, approvalId = coveredBy }), cancellationToken);
        if (start)
        {
            await engine.StartRunAsync(connection, transaction, id, cancellationToken);
        }
        else if (needsApproval)
        {
            // What is approved is exactly what will run: this version of the runbook (its whole
            // document) with these resolved parameters and locks.
            await approvals.RequestAsync(
                connection,
                transaction,
                RunbookRunApprovalTarget.Type,
                id.ToString(),
                new { runbook, version = found.Version, document = JsonSerializer.SerializeToElement(document, OpsJson.Default), parameters = values, locks },
                destructive ? OperationRisk.Destructive : OperationRisk.Mutating,
                document.Approval?.MinApprovals,
                caller ?? new Caller(requestedBy, null, null, null),
                cancellationToken);
        }

        return new RunCreation(id, false, false, null, new Dictionary<string, string[]>(), found.RequiresApproval, RunbookStore.HasDestructiveStep(document));
    }

    /// <summary>Opens a transaction, creates and starts a run (see <see cref="CreateRunAsync"/>, also for <paramref name="coveredBy"/>), commits, and returns it.</summary>
    public async Task<(RunCreation Creation, RunbookRunResponse? Run)> CreateAndStartAsync(
        string runbook, CreateRunRequest request, Caller caller, string? idempotencyKey, CancellationToken cancellationToken, Guid? coveredBy = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var savepoint = new NpgsqlCommand("SAVEPOINT create_run", connection, transaction))
        {
            await savepoint.ExecuteNonQueryAsync(cancellationToken);
        }

        RunCreation creation;
        try
        {
            creation = await CreateRunAsync(connection, transaction, runbook, request.Version, request.Parameters, caller.Subject, idempotencyKey, start: true, cancellationToken, caller, coveredBy);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && idempotencyKey is not null)
        {
            await using (var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT create_run", connection, transaction))
            {
                await rollback.ExecuteNonQueryAsync(cancellationToken);
            }

            creation = await CreateRunAsync(connection, transaction, runbook, request.Version, request.Parameters, caller.Subject, idempotencyKey, start: true, cancellationToken, caller, coveredBy);
        }

        if (creation.RunId is not { } id)
        {
            return (creation, null);
        }

        var run = await GetAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (creation, run);
    }

    /// <summary>The run with every step, or <c>null</c>.</summary>
    public async Task<RunbookRunResponse?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, id, cancellationToken);
    }

    /// <summary>Reads a run with every step inside any connection.</summary>
    public static async Task<RunbookRunResponse?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunRow.Columns} FROM runbook_runs WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var steps = await connection.QueryAsync<StepRow>(new CommandDefinition(
            """
            SELECT name, phase, status, operation_id, started_at, finished_at, error, gates::text AS gates,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('batch', g->'batch', 'operationId', g->'operationId', 'status', o.status)), '[]')::text
                      FROM jsonb_array_elements(s.gates) g LEFT JOIN operations o ON o.id = (g->>'operationId')::uuid) AS gate_statuses
              FROM runbook_run_steps s
             WHERE run_id = @id
             ORDER BY CASE phase WHEN 'main' THEN 0 WHEN 'rollback' THEN 1 ELSE 2 END, position
            """,
            new { id }, transaction, cancellationToken: cancellationToken));
        var waitingOn = row.Status == "waiting" ? await LockStore.WaitingOnAsync(connection, transaction, "runbook_run", id, cancellationToken) : null;
        var approvalId = await Approvals.ApprovalStore.GuardingIdAsync(connection, transaction, RunbookRunApprovalTarget.Type, id, cancellationToken);
        return ToResponse(row, steps.ToList(), waitingOn) with { ApprovalId = approvalId };
    }

    /// <summary>One page of runs, newest first, filtered by runbook and status.</summary>
    public async Task<IReadOnlyList<RunbookRunResponse>> ListAsync(string? runbook, RunbookRunStatus? status, Guid? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunRow>(new CommandDefinition(
            $"""
            SELECT {RunRow.Columns} FROM runbook_runs
             WHERE (@runbook::text IS NULL OR runbook = @runbook)
               AND (@status::text IS NULL OR status = @status)
               AND (@before::uuid IS NULL OR id < @before)
             ORDER BY id DESC LIMIT @limit
            """,
            new { runbook, status = status is null ? null : DbEnum.ToText(status.Value), before, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => ToResponse(r, [], null)).ToList();
    }

    /// <summary>
    /// Cancels a run (DESIGN.md §12): a run that has not started ends <c>cancelled</c> at once; a
    /// running one stops releasing, its current step's operation is cancelled, its remaining
    /// main and rollback steps are skipped, then its <c>finally</c> steps run. <c>null</c> when
    /// unknown; <c>AlreadyFinished</c> when it had ended.
    /// </summary>
    public async Task<(RunbookRunResponse Run, bool AlreadyFinished)?> CancelAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The lock manager first, then the row: the order the lock triggers use (no deadlock with a grant).
        await connection.ExecuteAsync(new CommandDefinition("SELECT lock_manager_enter()", transaction: transaction, cancellationToken: cancellationToken));
        var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT status FROM runbook_runs WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (status is null)
        {
            return null;
        }

        if (RunbookRunStates.Terminal.Contains(DbEnum.Parse<RunbookRunStatus>(status)))
        {
            return ((await GetAsync(connection, transaction, id, cancellationToken))!, true);
        }

        var now = timeProvider.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE runbook_runs SET cancel_requested_at = coalesce(cancel_requested_at, @now), cancel_requested_by = coalesce(cancel_requested_by, @by), updated_at = @now WHERE id = @id",
            new { id, now, by = caller.Subject }, transaction, cancellationToken: cancellationToken));
        if (status == "running")
        {
            var current = await connection.QueryFirstOrDefaultAsync<(string Phase, int Position, Guid? OperationId)?>(new CommandDefinition(
                "SELECT phase, position, operation_id FROM runbook_run_steps WHERE run_id = @id AND status = 'running' LIMIT 1",
                new { id }, transaction, cancellationToken: cancellationToken));
            if (current is { OperationId: { } operationId } step)
            {
                await operations.CancelInTransactionAsync(connection, transaction, operationId, caller.Subject, cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE runbook_run_steps SET status = 'cancelled', finished_at = @now, error = @error WHERE run_id = @id AND phase = @phase AND position = @position",
                    new { id, now, phase = step.Phase, position = step.Position, error = $"cancelled by {caller.Subject}" },
                    transaction, cancellationToken: cancellationToken));
            }

            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE runbook_run_steps SET status = 'skipped', error = 'the run was cancelled'
                 WHERE run_id = @id AND status = 'pending' AND (phase <> 'finally' OR (SELECT phase FROM runbook_runs WHERE id = @id) = 'finally');
                UPDATE runbook_runs SET outcome = 'cancelled', phase = 'finally', updated_at = @now WHERE id = @id;
                SELECT pg_notify('ops_runbooks', @id::text);
                """,
                new { id, now }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            await engine.FinishAsync(connection, transaction, id, "cancelled", $"cancelled by {caller.Subject} before it started", cancellationToken);
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "runbook_run.cancel", "runbook_run", id.ToString(), caller.ClientAddress, caller.TraceId, new { previousStatus = status }),
            cancellationToken);
        var run = await GetAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (run!, false);
    }

    private static RunbookRunResponse ToResponse(RunRow row, IReadOnlyList<StepRow> steps, WaitingOn? waitingOn) => new(
        row.Id,
        row.Runbook,
        row.Version,
        DbEnum.Parse<RunbookRunStatus>(row.Status),
        row.Phase,
        JsonDocument.Parse(row.Parameters).RootElement.Clone(),
        row.RequestedBy,
        DbTime.Utc(row.CreatedAt),
        DbTime.Utc(row.StartedAt),
        DbTime.Utc(row.FinishedAt),
        DbTime.Utc(row.CancelRequestedAt),
        row.Error,
        row.Locks,
        waitingOn,
        steps.Select(s => new RunbookRunStepResponse(
            s.Name,
            s.Phase,
            s.Status,
            s.OperationId,
            DbTime.Utc(s.StartedAt),
            DbTime.Utc(s.FinishedAt),
            s.Error,
            (JsonNode.Parse(s.GateStatuses) as JsonArray ?? [])
                .Select(g => new HealthGateResponse(g!["batch"]!.GetValue<int>(), Guid.Parse(g["operationId"]!.GetValue<string>()), g["status"]?.GetValue<string>()))
                .ToList())).ToList());

    private sealed class RunRow
    {
        public const string Columns =
            "id, runbook, version, status, phase, parameters::text AS parameters, requested_by, created_at, started_at, finished_at, cancel_requested_at, error, locks";

        public Guid Id { get; set; }
        public string Runbook { get; set; } = string.Empty;
        public int Version { get; set; }
        public string Status { get; set; } = string.Empty;
        public string Phase { get; set; } = string.Empty;
        public string Parameters { get; set; } = "{}";
        public string RequestedBy { get; set; } = string.Empty;
        public DateTime CreatedAt { get; set; }
        public DateTime? StartedAt { get; set; }
        public DateTime? FinishedAt { get; set; }
        public DateTime? CancelRequestedAt { get; set; }
        public string? Error { get; set; }
        public string[] Locks { get; set; } = [];
    }

    private sealed class StepRow
    {
        public string Name { get; set; } = string.Empty;
        public string Phase { get; set; } = string.Empty;
        public string Status { get; set; } = string.Empty;
        public Guid? OperationId { get; set; }
        public DateTime? StartedAt { get; set; }
        public DateTime? FinishedAt { get; set; }
        public string? Error { get; set; }
        public string Gates { get; set; } = "[]";
        public string GateStatuses { get; set; } = "[]";
    }
}
