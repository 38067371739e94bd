using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;
using Ops.Contracts.Runbooks;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Features.Approvals;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Features.Jobs;
using Ops.ControlPlane.Features.Locks;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// Data access of operations and their jobs. An operation and all its jobs are inserted in one
/// transaction together with the audit record, so nothing accepted is half-written.
/// </summary>
internal sealed class OperationStore(
    NpgsqlDataSource dataSource, AuditWriter audit, TimeProvider timeProvider, OperationApprovals approvals, PullHandoffs handoffs, AgentProtocolOptions protocol)
{
    /// <summary>Largest fan-out of one operation.</summary>
    public const int MaxJobsPerOperation = 10_000;

    /// <summary>The operation with every job, or <c>null</c>.</summary>
    public async Task<OperationResponse?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, id, cancellationToken);
    }

    /// <summary>The operation with every job and what it waits on, read inside the caller's transaction; <c>null</c> when unknown.</summary>
    public static async Task<OperationResponse?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<OperationRow>(new CommandDefinition(
            $"SELECT {OperationRow.Columns} FROM operations o WHERE o.id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var jobs = await connection.QueryAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobRow.Columns} FROM jobs WHERE operation_id = @id ORDER BY id", new { id }, transaction, cancellationToken: cancellationToken));
        var waitingOn = row.Status == "waiting" && row.Locks.Length > 0
            ? await LockStore.WaitingOnAsync(connection, transaction, "operation", id, cancellationToken)
            : null;
        var approvalId = await ApprovalStore.GuardingIdAsync(connection, transaction, OperationApprovalTarget.Type, id, cancellationToken);
        return ToResponse(row, jobs.Select(JobResponse.From).ToList()) with { WaitingOn = waitingOn, ApprovalId = approvalId };
    }

    /// <summary>
    /// One page of operations, newest first, optionally filtered; <paramref name="before"/> is
    /// the keyset position (ids are UUIDv7, so id order is creation order).
    /// </summary>
    public async Task<IReadOnlyList<OperationResponse>> ListAsync(
        OperationStatus? status, string? kind, Guid? agentId, Guid? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<OperationRow>(new CommandDefinition(
            $"""
            SELECT {OperationRow.Columns}
              FROM operations o
             WHERE (@status::text IS NULL OR o.status = @status)
               AND (@kind::text IS NULL OR o.kind = @kind)
               AND (@agentId::uuid IS NULL OR EXISTS (SELECT 1 FROM jobs j WHERE j.operation_id = o.id AND j.agent_id = @agentId))
               AND (@before::uuid IS NULL OR o.id < @before)
             ORDER BY o.id DESC
             LIMIT @limit
            """,
            new { status = status is null ? null : DbEnum.ToText(status.Value), kind, agentId, before, limit },
            cancellationToken: cancellationToken));
        return rows.Select(r => ToResponse(r, [])).ToList();
    }

    /// <summary>
    /// Resolves the target, then inserts the operation, one queued job per agent and the audit
    /// record in one transaction. Honours <paramref name="idempotencyKey"/> per caller.
    /// </summary>
    public async Task<CreateOperationOutcome> CreateAsync(
        CreateOperationRequest request, OperationKind kind, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var requestHash = HashRequest(request);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (idempotencyKey is null && IsPlainSubmit(request, kind)
            && await TryCreateInOneRoundTripAsync(connection, request, kind, caller, requestHash, cancellationToken) is { } created)
        {
            return created;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        if (idempotencyKey is not null && await FindByKeyAsync(connection, transaction, caller.Subject, idempotencyKey, requestHash, cancellationToken) is { } earlier)
        {
            return earlier;
        }

        if (idempotencyKey is not null)
        {
            await using var savepoint = new NpgsqlCommand("SAVEPOINT create_operation", connection, transaction);
            await savepoint.ExecuteNonQueryAsync(cancellationToken);
        }

        InsertedOperation inserted;
        try
        {
            // The audit record goes in the same round trip as the operation and its jobs; the
            // caller wakes the agents after commit (AgentWakeupPublisher), so the insert sends no NOTIFY.
            inserted = await InsertAsync(
                connection, transaction, request, kind, caller.Subject, idempotencyKey, requestHash, null, cancellationToken,
                (id, jobs, locks) => new AuditEntry(
                    caller.Subject, caller.Role, "operation.create", "operation", id.ToString(), caller.ClientAddress, caller.TraceId,
                    new { kind = kind.Name, target = request.Target, jobs, idempotencyKey, rollout = request.Rollout, locks }),
                wakeAfterCommit: true);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && idempotencyKey is not null)
        {
            // A concurrent request with the same key committed first: answer as a replay of it.
            await using (var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT create_operation", connection, transaction))
            {
                await rollback.ExecuteNonQueryAsync(cancellationToken);
            }

            return await FindByKeyAsync(connection, transaction, caller.Subject, idempotencyKey, requestHash, cancellationToken)
                ?? throw new InvalidOperationException("Idempotency key conflict without a visible operation.", ex);
        }

        if (inserted.Operation is null)
        {
            return new CreateOperationOutcome.TargetInvalid(inserted.Errors);
        }

        if (inserted.Operation.Status == OperationStatus.PendingApproval)
        {
            // Destructive kinds wait for a second person's approval (DESIGN.md §14), requested in this transaction.
            await approvals.RequestAsync(connection, transaction, inserted.Operation.Id, kind, caller, cancellationToken);
            var pending = (await GetAsync(connection, transaction, inserted.Operation.Id, cancellationToken))!;
            await transaction.CommitAsync(cancellationToken);
            return new CreateOperationOutcome.Created(pending, []);
        }

        await transaction.CommitAsync(cancellationToken);
        return new CreateOperationOutcome.Created(inserted.Operation, inserted.AgentIds);
    }

    /// <summary>
    /// Inserts an operation and its jobs inside the caller's transaction (no audit record: the
    /// caller writes its own). Without rollout or locks every job is <c>queued</c> at once; with
    /// them the jobs start <c>waiting</c> (a batch number each, in the stable order agent hostname
    /// then id) and the operation takes its explicit and implicit locks (DESIGN.md §11) and
    /// releases its first batch, or queues behind the current holder. Returns the operation, or
    /// the target's errors when it matches no usable agent. Used by <c>POST /api/v1/operations</c>
    /// and by the runbook engine (with <paramref name="link"/>). With <paramref name="auditOf"/> (operation id,
    /// job count, locks → record) the audit record is inserted in the same round trip as the
    /// operation and its jobs; with <paramref name="wakeAfterCommit"/> the insert sends no
    /// <c>NOTIFY ops_jobs</c> (migration 0070): the caller wakes the agents after commit.
    /// </summary>
    public async Task<InsertedOperation> InsertAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        CreateOperationRequest request,
        OperationKind kind,
        string createdBy,
        string? idempotencyKey,
        byte[]? requestHash,
        OperationLink? link,
        CancellationToken cancellationToken,
        Func<Guid, int, string[], AuditEntry>? auditOf = null,
        bool wakeAfterCommit = false)
    {
        var resolution = await ResolveTargetAsync(connection, transaction, request.Target!, kind.Name, cancellationToken);
        if (resolution.Errors.Count > 0)
        {
            return new InsertedOperation(null, [], resolution.Errors);
        }

        var now = TruncateToMicroseconds(timeProvider.GetUtcNow());
        var id = Guid.CreateVersion7(now);
        var timeout = request.TimeoutSeconds ?? (int)kind.DefaultTimeout.TotalSeconds;
        var priority = request.Priority ?? CreateOperationRequestValidator.DefaultPriority;
        var parameters = request.Parameters is { ValueKind: JsonValueKind.Object } p ? p.GetRawText() : "{}";
        var traceparent = Activity.Current is { } activity ? $"00-{activity.TraceId}-{activity.SpanId}-01" : null;
        var locks = (request.Locks ?? []).Concat(LockKeys.Implicit(kind.Name, request.Parameters, resolution.AgentIds)).Distinct(StringComparer.Ordinal).ToArray();
        var agentIds = resolution.AgentIds;
        int? batchSize = null;
        var (pause, maxErrors, batches) = (0, 0, 0);
        if (request.Rollout is { } rollout)
        {
            // Stable order of release (DESIGN.md §11): agent hostname, then id.
            agentIds = (await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT id FROM agents WHERE id = ANY(@ids) ORDER BY hostname, id",
                new { ids = agentIds.ToArray() }, transaction, cancellationToken: cancellationToken))).ToList();
            var resolved = RolloutRules.Resolve(rollout, agentIds.Count);
            (batchSize, pause, maxErrors) = (resolved.BatchSize, resolved.PauseSeconds, resolved.MaxErrors);
            batches = (agentIds.Count + resolved.BatchSize - 1) / resolved.BatchSize;
        }

        var held = batchSize is not null || locks.Length > 0;
        // Destructive kinds wait for an approval first (DESIGN.md §14): their jobs start pending_approval,
        // and locks and the first batch are taken only when it is granted (OperationApprovalTarget).
        // A runbook step (link) is covered by its run's approval.
        var needsApproval = link is null && OperationApprovals.Required(kind);
        var initialStatus = needsApproval ? "pending_approval" : held ? "waiting" : "queued";
        var jobIds = agentIds.Select(_ => Guid.CreateVersion7(now)).ToArray();
        var jobBatches = agentIds.Select((_, i) => batchSize is { } size ? (int?)(i / size + 1) : null).ToArray();
        // One round trip: the operation, its jobs (one statement however many agents), the audit record.
        await using (var insert = new NpgsqlBatch(connection, transaction))
        {
            if (wakeAfterCommit)
            {
                insert.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('ops.wakeups', 'app', true)"));
            }

            var operation = new NpgsqlBatchCommand(
                """
                INSERT INTO operations (id, kind, parameters, target, status, priority, timeout_seconds, created_by, created_at, updated_at, idempotency_key, request_hash, traceparent,
                                        rollout, rollout_batch_size, rollout_pause_seconds, rollout_max_errors, rollout_batches, rollout_gated, locks, lock_timeout_seconds, run_id, run_step,
                                        jobs_total, jobs_queued, jobs_waiting, jobs_pending_approval)
                VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, $9, $9, $10, $11, $12,
                        $13::jsonb, $14, $15, $16, $17, $18, $19, $20, $21, $22,
                        $23, CASE WHEN $5 = 'queued' THEN $23 ELSE 0 END, CASE WHEN $5 = 'waiting' THEN $23 ELSE 0 END, CASE WHEN $5 = 'pending_approval' THEN $23 ELSE 0 END)
                """);
            var values = new object?[]
            {
                id, kind.Name, parameters, JsonSerializer.Serialize(request.Target, OpsJson.Default), initialStatus, priority, timeout, createdBy, now,
                idempotencyKey, requestHash, traceparent,
                request.Rollout is null ? null : JsonSerializer.Serialize(request.Rollout, OpsJson.Default),
                batchSize, pause, maxErrors, batches, link?.Gated ?? false, locks, request.LockTimeoutSeconds ?? LockKeys.DefaultTimeoutSeconds,
                link?.RunId, link?.Step, agentIds.Count,
            };
            var types = new[]
            {
                NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Integer,
                NpgsqlDbType.Text, NpgsqlDbType.TimestampTz, NpgsqlDbType.Text, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Text,
                NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Boolean,
                NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Uuid, NpgsqlDbType.Text, NpgsqlDbType.Integer,
            };
            for (var i = 0; i < values.Length; i++)
            {
                operation.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = types[i], Value = values[i] ?? DBNull.Value });
            }

            insert.BatchCommands.Add(operation);
            // The row above already counts its jobs: the insert trigger skips it (migration 0071).
            var counted = new NpgsqlBatchCommand("SELECT set_config('ops.jobs_counted', $1, true)");
            counted.Parameters.AddWithValue(id.ToString());
            insert.BatchCommands.Add(counted);
            var insertJobs = new NpgsqlBatchCommand(
                """
                INSERT INTO jobs (id, operation_id, agent_id, kind, status, priority, attempt, created_at, queued_at, deadline_at, batch, released_at)
                SELECT j.id, $2, j.agent_id, $4, $8, $5, 1, $6, $6, CASE WHEN $8 = 'queued' THEN $7 END, j.batch, CASE WHEN $8 = 'queued' THEN $6 END
                  FROM unnest($1::uuid[], $3::uuid[], $9::integer[]) AS j(id, agent_id, batch)
                """);
            insertJobs.Parameters.AddWithValue(jobIds);
            insertJobs.Parameters.AddWithValue(id);
            insertJobs.Parameters.AddWithValue(agentIds.ToArray());
            insertJobs.Parameters.AddWithValue(kind.Name);
            insertJobs.Parameters.AddWithValue(priority);
            insertJobs.Parameters.AddWithValue(now);
            insertJobs.Parameters.AddWithValue(now.AddSeconds(timeout));
            insertJobs.Parameters.AddWithValue(initialStatus);
            insertJobs.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = jobBatches.Select(b => (object?)b ?? DBNull.Value).ToArray() });
            insert.BatchCommands.Add(insertJobs);
            if (auditOf is not null)
            {
                insert.BatchCommands.Add(audit.Command(auditOf(id, agentIds.Count, locks)));
            }

            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (needsApproval)
        {
            return new InsertedOperation((await GetAsync(connection, transaction, id, cancellationToken))!, agentIds, new Dictionary<string, string[]>());
        }

        if (held)
        {
            // Takes the locks (all or none, FIFO) and releases the first batch, or queues behind the holder.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                SELECT CASE WHEN lock_try_acquire('operation', @id, @locks, @now, @now + make_interval(secs => @lockTimeout))
                            THEN operation_start(@id, @now) END
                """,
                new { id, locks, now, lockTimeout = request.LockTimeoutSeconds ?? LockKeys.DefaultTimeoutSeconds },
                transaction,
                cancellationToken: cancellationToken));
            return new InsertedOperation((await GetAsync(connection, transaction, id, cancellationToken))!, agentIds, new Dictionary<string, string[]>());
        }

        var created = QueuedResponse(id, kind.Name, parameters, request.Target!, priority, timeout, createdBy, now, jobIds.Zip(agentIds, (j, a) => (j, a, false, 1)).ToList());
        return new InsertedOperation(created, agentIds, new Dictionary<string, string[]>());
    }

    /// <summary>
    /// A just-inserted operation and its jobs (id, agent, leased to a waiting Pull or queued, attempt),
    /// built from what was written (the database keeps microseconds, as <paramref name="now"/>
    /// does), saving a read on the submit path. With a leased job the operation is <c>running</c>.
    /// </summary>
    private static OperationResponse QueuedResponse(
        Guid id, string kind, string parameters, OperationTarget target, int priority, int timeout, string createdBy, DateTimeOffset now,
        IReadOnlyList<(Guid JobId, Guid AgentId, bool Leased, int Attempt)> jobs)
    {
        var deadline = now.AddSeconds(timeout);
        var responses = jobs.Select(j => new JobResponse(
            j.JobId, id, j.AgentId, kind, j.Leased ? JobStatus.Leased : JobStatus.Queued, j.Attempt, priority, null, null, null, now, deadline,
            j.Leased ? now : null, null, null, null, 0, false)).ToList();
        var status = jobs.Any(j => j.Leased) ? OperationStatus.Running : OperationStatus.Queued;
        return new OperationResponse(id, kind, DbJson.Parse(parameters), target, status, priority, timeout, createdBy, now, now, null, responses.Count, responses);
    }

    /// <summary>
    /// True when a submit needs nothing but its target resolved and its rows written: no rollout,
    /// no explicit or implicit lock (DESIGN.md §11), no approval (§14). Such a submit is tried in
    /// one round trip first (<see cref="TryCreateInOneRoundTripAsync"/>).
    /// </summary>
    private static bool IsPlainSubmit(CreateOperationRequest request, OperationKind kind) =>
        request.Rollout is null
        && request.Locks is not { Count: > 0 }
        && !OperationApprovals.Required(kind)
        && LockKeys.ImplicitDatabase(kind.Name, request.Parameters) is null;

    /// <summary>
    /// The submit of a plain operation (<see cref="IsPlainSubmit"/>) in one round trip and one
    /// transaction (issue 14): <c>BEGIN</c>, the target resolved inside the statement that inserts
    /// the operation (its job counters preset, migration 0071) and its jobs (one per agent, ids
    /// UUIDv7 of the submit's millisecond with a per-operation counter, so id order is target
    /// order), the audit record <c>operation.create</c>, <c>COMMIT</c>, all sent at once. The rows
    /// are written only when the target is valid as <see cref="ResolveTargetAsync"/> would find it
    /// (every listed agent enrolled, not revoked and running the kind; or 1 to
    /// <see cref="MaxJobsPerOperation"/> capable agents matching the labels); otherwise nothing is
    /// written and <c>null</c> is returned, and the caller takes the transactional path, which
    /// explains what is wrong (or succeeds, if the agents changed in between).
    /// </summary>
    private async Task<CreateOperationOutcome.Created?> TryCreateInOneRoundTripAsync(
        NpgsqlConnection connection, CreateOperationRequest request, OperationKind kind, Caller caller, byte[] requestHash, CancellationToken cancellationToken)
    {
        var target = request.Target!;
        var now = TruncateToMicroseconds(timeProvider.GetUtcNow());
        var id = Guid.CreateVersion7(now);
        var jobIdBase = Guid.CreateVersion7(now);
        var jobIdOffset = Random.Shared.NextInt64(1L << 47);
        var timeout = request.TimeoutSeconds ?? (int)kind.DefaultTimeout.TotalSeconds;
        var priority = request.Priority ?? CreateOperationRequestValidator.DefaultPriority;
        var parameters = request.Parameters is { ValueKind: JsonValueKind.Object } p ? p.GetRawText() : "{}";
        var traceparent = Activity.Current is { } activity ? $"00-{activity.TraceId}-{activity.SpanId}-01" : null;
        var listed = target.AgentIds is { } ids ? ids.ToArray() : null;
        // Pulls waiting on this replica take their job straight from this statement: the listed
        // agents' Pulls, or for labels / all (agents resolved in the statement) every waiting Pull.
        var claims = listed is not null ? ClaimWaitingPulls(listed) : handoffs.ClaimAll();
        // $13: the listed agents in order (all must qualify), or NULL for labels / all (1 to $14 must).
        var resolve = listed is not null
            ? """
              SELECT t.id, t.ord FROM unnest($13::uuid[]) WITH ORDINALITY AS t(id, ord)
                JOIN agents a ON a.id = t.id AND a.revoked_at IS NULL AND $2 = ANY(a.capabilities)
              """
            : """
              SELECT a.id, row_number() OVER (ORDER BY a.id) AS ord FROM agents a
               WHERE a.revoked_at IS NULL AND $2 = ANY(a.capabilities) AND ($15::jsonb IS NULL OR a.labels @> $15::jsonb)
               ORDER BY a.id LIMIT $14 + 1
              """;
        var valid = listed is not null ? "c.n = cardinality($13::uuid[])" : "c.n BETWEEN 1 AND $14";
        // $18: the claimed agents (a few listed ones; or up to PullHandoffs.MaxClaimAll, looked up by hash).
        var claimed = listed is not null ? "r.id = ANY($18::uuid[])" : "r.id IN (SELECT unnest($18::uuid[]))";
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        // The caller wakes the agents after commit (no NOTIFY from the insert, migration 0070); the row counts its jobs (0071).
        // With Pulls claimed the commit is asynchronous, so they get their jobs before its WAL flush;
        // the 202 waits for the flush (FlushWalAsync below). Nothing runs on an unflushed submit: a
        // job runs only after its Start commits durably, which flushes the WAL, submit included.
        var early = claims.Count > 0;
        var settings = new NpgsqlBatchCommand(early
            ? "SELECT set_config('ops.wakeups', 'app', true), set_config('ops.jobs_counted', $1, true), set_config('synchronous_commit', 'off', true)"
            : "SELECT set_config('ops.wakeups', 'app', true), set_config('ops.jobs_counted', $1, true)");
        settings.Parameters.AddWithValue(id.ToString());
        batch.BatchCommands.Add(settings);
        var insert = new NpgsqlBatchCommand(
            $"""
            WITH target AS (
                SELECT r.id, r.ord,
                       ({claimed} AND NOT EXISTS (SELECT 1 FROM jobs q WHERE q.agent_id = r.id AND q.status = 'queued')) AS handed
                  FROM ({resolve}) r),
            counted AS (SELECT count(*)::int AS n, (count(*) FILTER (WHERE handed))::int AS h FROM target),
            op AS (
                INSERT INTO operations (id, kind, parameters, target, status, priority, timeout_seconds, created_by, created_at, updated_at, request_hash, traceparent,
                                        rollout_pause_seconds, rollout_max_errors, rollout_batches, rollout_gated, locks, lock_timeout_seconds,
                                        jobs_total, jobs_queued, jobs_leased, jobs_waiting, jobs_pending_approval)
                SELECT $1, $2, $3::jsonb, $4::jsonb, CASE WHEN c.h > 0 THEN 'running' ELSE 'queued' END, $5, $6, $7, $8, $8, $9, $10, 0, 0, 0, false, ARRAY[]::text[], $11,
                       c.n, c.n - c.h, c.h, 0, 0
                  FROM counted c WHERE {valid}
                RETURNING id)
            INSERT INTO jobs (id, operation_id, agent_id, kind, status, priority, attempt, created_at, queued_at, deadline_at, released_at, leased_at, lease_expires_at)
            SELECT encode(substring(uuid_send($16::uuid) FROM 1 FOR 10) || substring(int8send($17::bigint + t.ord) FROM 3 FOR 6), 'hex')::uuid,
                   op.id, t.id, $2, CASE WHEN t.handed THEN 'leased' ELSE 'queued' END, $5, 1, $8, $8, $12, $8,
                   CASE WHEN t.handed THEN $8 END, CASE WHEN t.handed THEN $19::timestamptz END
              FROM target t CROSS JOIN op
            RETURNING id, agent_id, status = 'leased'
            """);
        var values = new (object? Value, NpgsqlDbType Type)[]
        {
            (id, NpgsqlDbType.Uuid), (kind.Name, NpgsqlDbType.Text), (parameters, NpgsqlDbType.Text),
            (JsonSerializer.Serialize(target, OpsJson.Default), NpgsqlDbType.Text), (priority, NpgsqlDbType.Integer), (timeout, NpgsqlDbType.Integer),
            (caller.Subject, NpgsqlDbType.Text), (now, NpgsqlDbType.TimestampTz), (requestHash, NpgsqlDbType.Bytea), (traceparent, NpgsqlDbType.Text),
            (request.LockTimeoutSeconds ?? LockKeys.DefaultTimeoutSeconds, NpgsqlDbType.Integer), (now.AddSeconds(timeout), NpgsqlDbType.TimestampTz),
            (listed, NpgsqlDbType.Array | NpgsqlDbType.Uuid), (MaxJobsPerOperation, NpgsqlDbType.Integer),
            (target.Labels is null ? null : JsonSerializer.Serialize(target.Labels), NpgsqlDbType.Text),
            (jobIdBase, NpgsqlDbType.Uuid), (jobIdOffset, NpgsqlDbType.Bigint),
            (claims.Keys.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid), (now + protocol.LeaseDuration, NpgsqlDbType.TimestampTz),
        };
        foreach (var (value, type) in values)
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type, Value = value ?? DBNull.Value });
        }

        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(audit.CommandForInsertedOperation(
            new AuditEntry(
                caller.Subject, caller.Role, "operation.create", "operation", id.ToString(), caller.ClientAddress, caller.TraceId,
                new { kind = kind.Name, target, jobs = 0, idempotencyKey = (string?)null, rollout = (RolloutOptions?)null, locks = Array.Empty<string>() }),
            id));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));

        var jobs = new List<(Guid Id, Guid AgentId, bool Leased, int Attempt)>();
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken); // past the settings' row
            while (await reader.ReadAsync(cancellationToken))
            {
                jobs.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetBoolean(2), 1));
            }
        }
        catch
        {
            ReleaseClaims(claims, []);
            throw;
        }

        if (jobs.Count == 0)
        {
            ReleaseClaims(claims, []);
            return null;
        }

        jobs.Sort((a, b) => a.Id.CompareTo(b.Id));
        var deadline = now.AddSeconds(timeout);
        var undelivered = new List<Guid>();
        foreach (var (jobId, agentId, leased, _) in jobs)
        {
            if (!leased || !claims.Remove(agentId, out var claim))
            {
                continue;
            }

            var assignment = new JobAssignment
            {
                JobId = jobId.ToString(),
                OperationId = id.ToString(),
                Kind = kind.Name,
                Attempt = 1,
                Deadline = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(deadline),
                ParametersJson = parameters,
                Traceparent = traceparent ?? string.Empty,
            };
            JobQueue.RecordLease(assignment.Traceparent, agentId, jobId, 1);
            if (claim.Deliver([assignment]))
            {
                DispatchMetrics.DispatchLatency.Record((timeProvider.GetUtcNow() - now).TotalMilliseconds);
            }
            else
            {
                undelivered.Add(jobId);
            }
        }

        ReleaseClaims(claims, jobs.Select(j => j.AgentId));
        if (undelivered.Count > 0)
        {
            await RequeueUndeliveredAsync(undelivered);
            // Back in the queue on their next attempt, as stored (the reaper's rule).
            jobs = jobs.Select(j => undelivered.Contains(j.Id) ? (j.Id, j.AgentId, false, j.Attempt + 1) : j).ToList();
        }

        if (early)
        {
            await FlushWalAsync(connection, cancellationToken);
        }

        var operation = QueuedResponse(id, kind.Name, parameters, target, priority, timeout, caller.Subject, now, jobs);
        return new CreateOperationOutcome.Created(operation, jobs.Where(j => !j.Leased).Select(j => j.AgentId).ToList());
    }

    /// <summary>
    /// Makes every commit before it on this connection durable: one autocommit transaction that
    /// takes a transaction id, so its commit record is written and flushed (synchronous commit,
    /// PostgreSQL's WAL is flushed in order up to that record, the asynchronous submit's included).
    /// The 202 of an early hand-off waits for it: an accepted operation is in the durable queue
    /// (DESIGN.md, its opening).
    /// </summary>
    private static async Task FlushWalAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var flush = new NpgsqlCommand("SELECT pg_current_xact_id()", connection);
        await flush.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>The waiting Pulls on this replica of the listed agents, claimed for one submit (<see cref="PullHandoffs"/>).</summary>
    private Dictionary<Guid, PullHandoff> ClaimWaitingPulls(Guid[]? listed)
    {
        var claims = new Dictionary<Guid, PullHandoff>();
        foreach (var agentId in listed ?? [])
        {
            if (!claims.ContainsKey(agentId) && handoffs.TryClaim(agentId) is { } claim)
            {
                claims[agentId] = claim;
            }
        }

        return claims;
    }

    /// <summary>
    /// Ends the claims that got no job: the Pull of an agent that got a queued job (behind older
    /// work) reads its queue again; the others were not targeted, or nothing was written, and wait on.
    /// </summary>
    private static void ReleaseClaims(Dictionary<Guid, PullHandoff> claims, IEnumerable<Guid> queuedFor)
    {
        if (claims.Count == 0)
        {
            return; // the common case: no Pull was waiting here
        }

        var targeted = queuedFor.ToHashSet();
        foreach (var (agentId, claim) in claims)
        {
            if (targeted.Contains(agentId))
            {
                claim.Deliver([]);
            }
            else
            {
                claim.Release();
            }
        }

        claims.Clear();
    }

    /// <summary>
    /// Puts back in the queue jobs leased to a Pull whose call ended before it got them, as the
    /// lease reaper would after the lease expired (next attempt); the status trigger wakes the agent.
    /// Rare: the Pull's call must end in the moments between the claim and the commit.
    /// </summary>
    private async Task RequeueUndeliveredAsync(List<Guid> jobIds)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var requeue = new NpgsqlCommand(
            """
            UPDATE jobs SET status = 'queued', attempt = attempt + 1, queued_at = $2, leased_at = NULL, lease_expires_at = NULL
             WHERE id = ANY($1) AND status = 'leased' AND attempt = 1
            """,
            connection);
        requeue.Parameters.AddWithValue(jobIds.ToArray());
        requeue.Parameters.AddWithValue(timeProvider.GetUtcNow());
        await requeue.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) => new(value.Ticks - (value.Ticks % 10), value.Offset);

    /// <summary>
    /// Requests cancellation: queued and leased jobs end <c>cancelled</c> at once; running jobs
    /// are marked so their agents learn it on the next Pull or Heartbeat (and end when they report it). Returns the operation
    /// and the agents to wake, <c>null</c> when it does not exist.
    /// </summary>
    public async Task<(OperationResponse Operation, IReadOnlyList<Guid> AgentsToWake, bool AlreadyFinished)?> CancelAsync(
        Guid id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A request still waiting for its approval is withdrawn with it; first, so the approval row is
        // locked before the operation's, in the order a concurrent decision takes them.
        await approvals.WithdrawAsync(connection, transaction, id, caller, cancellationToken);
        // The lock manager next, then the row: the order the lock triggers use (no deadlock with a grant).
        await connection.ExecuteAsync(new CommandDefinition("SELECT lock_manager_enter()", transaction: transaction, cancellationToken: cancellationToken));
        var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT status FROM operations WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (status is null)
        {
            return null;
        }

        var current = DbEnum.Parse<OperationStatus>(status);
        if (OperationStates.Terminal.Contains(current))
        {
            return ((await GetAsync(connection, transaction, id, cancellationToken))!, [], true);
        }

        var agents = await CancelInTransactionAsync(connection, transaction, id, caller.Subject, cancellationToken);
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "operation.cancel", "operation", id.ToString(), caller.ClientAddress, caller.TraceId,
            new { previousStatus = status, runningJobsSignalled = agents.Count }), cancellationToken);
        var operation = await GetAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (operation!, agents, false);
    }

    /// <summary>
    /// Cancels an unfinished operation inside the caller's transaction (see <see cref="CancelAsync"/>):
    /// waiting, queued and leased jobs end <c>cancelled</c>, running ones are told through their
    /// agents. Returns the agents to wake. Used by the runbook engine to cancel a run's step.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> CancelInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string by, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE operations SET cancel_requested_at = COALESCE(cancel_requested_at, @now), cancel_requested_by = COALESCE(cancel_requested_by, @by), updated_at = @now WHERE id = @id",
            new { id, now, by }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs SET status = 'cancelled', finished_at = @now, cancel_requested_at = @now, error = 'cancelled before it started'
             WHERE operation_id = @id AND status IN ('queued', 'waiting', 'pending_approval')
            """,
            new { id, now }, transaction, cancellationToken: cancellationToken));
        // A leased job has not started: it ends now, and its agent is told through its next Pull.
        // A running job ends when its agent reports the cancellation.
        var agents = (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            UPDATE jobs SET cancel_requested_at = @now,
                            status = CASE WHEN status = 'leased' THEN 'cancelled' ELSE status END,
                            finished_at = CASE WHEN status = 'leased' THEN @now ELSE finished_at END,
                            lease_expires_at = CASE WHEN status = 'leased' THEN NULL ELSE lease_expires_at END
             WHERE operation_id = @id AND status IN ('leased', 'running') AND cancel_requested_at IS NULL
            RETURNING agent_id
            """,
            new { id, now }, transaction, cancellationToken: cancellationToken))).Distinct().ToList();
        if (agents.Count > 0)
        {
            // Agents waiting on other replicas learn it through LISTEN ops_jobs.
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_notify('ops_jobs', a::text) FROM unnest(@agents::uuid[]) AS a",
                new { agents = agents.ToArray() }, transaction, cancellationToken: cancellationToken));
        }

        return agents;
    }

    private static async Task<CreateOperationOutcome?> FindByKeyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string subject, string key, byte[] requestHash, CancellationToken cancellationToken)
    {
        var existing = await connection.QuerySingleOrDefaultAsync<(Guid Id, byte[] RequestHash)?>(new CommandDefinition(
            "SELECT id, request_hash FROM operations WHERE created_by = @subject AND idempotency_key = @key",
            new { subject, key }, transaction, cancellationToken: cancellationToken));
        if (existing is not { } found)
        {
            return null;
        }

        if (!found.RequestHash.AsSpan().SequenceEqual(requestHash))
        {
            return new CreateOperationOutcome.KeyConflict(found.Id);
        }

        return new CreateOperationOutcome.Replayed((await GetAsync(connection, transaction, found.Id, cancellationToken))!);
    }

    private static async Task<(IReadOnlyList<Guid> AgentIds, Dictionary<string, string[]> Errors)> ResolveTargetAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, OperationTarget target, string kind, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (target.AgentIds is { } ids)
        {
            var agents = (await connection.QueryAsync<(Guid Id, bool Revoked, string[] Capabilities)>(new CommandDefinition(
                "SELECT id, revoked_at IS NOT NULL, capabilities FROM agents WHERE id = ANY(@ids)",
                new { ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken))).ToDictionary(a => a.Id);
            var problems = new List<string>();
            foreach (var id in ids)
            {
                if (!agents.TryGetValue(id, out var agent))
                {
                    problems.Add($"Unknown agent {id}.");
                }
                else if (agent.Revoked)
                {
                    problems.Add($"Agent {id} is revoked.");
                }
                else if (!agent.Capabilities.Contains(kind))
                {
                    problems.Add($"Agent {id} does not run '{kind}' (its policy does not enable it).");
                }
            }

            if (problems.Count > 0)
            {
                errors["target.agentIds"] = problems.ToArray();
            }

            return (ids, errors);
        }

        var labels = target.Labels is null ? null : JsonSerializer.Serialize(target.Labels);
        var matched = (await connection.QueryAsync<(Guid Id, bool Capable)>(new CommandDefinition(
            """
            SELECT id, @kind = ANY(capabilities)
              FROM agents
             WHERE revoked_at IS NULL AND (@labels::jsonb IS NULL OR labels @> @labels::jsonb)
             ORDER BY id
            """,
            new { kind, labels }, transaction, cancellationToken: cancellationToken))).ToList();
        var capable = matched.Where(m => m.Capable).Select(m => m.Id).ToList();
        var field = target.Labels is null ? "target.all" : "target.labels";
        if (matched.Count == 0)
        {
            errors[field] = [target.Labels is null ? "No enrolled agent: enroll one first." : "No enrolled agent matches these labels."];
        }
        else if (capable.Count == 0)
        {
            errors[field] = [$"{matched.Count} agent(s) match, but none runs '{kind}' (their policies do not enable it)."];
        }
        else if (capable.Count > MaxJobsPerOperation)
        {
            errors[field] = [$"The target matches {capable.Count} agents; one operation may fan out to at most {MaxJobsPerOperation}."];
        }

        return (capable, errors);
    }

    private static byte[] HashRequest(CreateOperationRequest request) =>
        System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, OpsJson.Default));

    private static OperationResponse ToResponse(OperationRow row, IReadOnlyList<JobResponse> jobs) => new(
        row.Id,
        row.Kind,
        DbJson.Parse(row.Parameters),
        JsonSerializer.Deserialize<OperationTarget>(row.Target, OpsJson.Default) ?? new OperationTarget(),
        DbEnum.Parse<OperationStatus>(row.Status),
        row.Priority,
        row.TimeoutSeconds,
        row.CreatedBy,
        DbTime.Utc(row.CreatedAt),
        DbTime.Utc(row.UpdatedAt),
        DbTime.Utc(row.CancelRequestedAt),
        row.JobCount,
        jobs,
        null,
        row.RolloutBatchSize is { } batchSize
            ? new RolloutProgress(
                row.Rollout is null ? null : JsonSerializer.Deserialize<RolloutOptions>(row.Rollout, OpsJson.Default),
                batchSize, row.RolloutPauseSeconds, row.RolloutMaxErrors, row.RolloutBatch, row.RolloutBatches, row.RolloutReleased, row.RolloutFailed,
                DbTime.Utc(row.RolloutNextAt), row.RolloutStopped)
            : null,
        row.Locks,
        null,
        row.RunId,
        row.RunStep);
}
