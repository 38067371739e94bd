using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Approvals;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Handles due slots (DESIGN.md §13), for the <see cref="Scheduler"/> loop and for
/// <c>POST …/trigger</c>. A schedule is handled under its row lock (<c>FOR UPDATE SKIP LOCKED</c>),
/// so with several replicas each due slot is handled by one; the unique key
/// (<c>schedule_id</c>, <c>slot_at</c>) of <c>schedule_slots</c> backs that up. The operation of a
/// slot is submitted through <see cref="OperationStore.CreateAsync"/> with an idempotency key
/// derived from the slot, before the slot's transaction commits: if the replica dies in between,
/// the slot is handled again and the key returns the operation already created, so a slot
/// starts at most once and is never lost.
/// </summary>
internal sealed class ScheduleRunner(
    NpgsqlDataSource dataSource,
    OperationStore operations,
    IScheduleRunbookStarter runbooks,
    ScheduleApprovals approvals,
    AgentWakeups wakeups,
    EventWriter events,
    AuditWriter audit,
    IOptions<SchedulesOptions> options,
    TimeProvider timeProvider,
    ILogger<ScheduleRunner> logger)
{
    /// <summary>Missed slots older than this are not recorded one by one (a per-second schedule after a long outage).</summary>
    public static readonly TimeSpan MissedHorizon = TimeSpan.FromDays(7);

    /// <summary>At most this many missed slots are recorded per schedule and pass; older ones are counted in the log.</summary>
    public const int MaxMissedRecorded = 1000;

    /// <summary>Event type of a slot whose run succeeded (internal: not in <see cref="EventTypes.All"/>).</summary>
    public const string SlotSucceededEvent = "schedule.slot_succeeded";

    private TimeSpan LateAfter => TimeSpan.FromSeconds(options.Value.LateAfterSeconds);

    /// <summary>
    /// One pass: settles slots whose operation ended without being seen, handles every due
    /// schedule that no other replica holds, and starts slots waiting under <c>buffer_one</c>.
    /// </summary>
    public async Task RunDueAsync(CancellationToken cancellationToken)
    {
        await SettleFinishedAsync(cancellationToken);
        while (await HandleNextDueAsync(cancellationToken))
        {
        }

        while (await StartNextBufferedAsync(cancellationToken))
        {
        }
    }

    /// <summary>The earliest due time of any active schedule, or <c>null</c> when none will fire.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT min(next_due_at) FROM schedules WHERE deleted_at IS NULL AND NOT paused",
            cancellationToken: cancellationToken));
        return DbTime.Utc(next);
    }

    /// <summary>
    /// <c>POST …/trigger</c>: a slot now, through the same overlap rules as a scheduled slot (a
    /// paused schedule may be triggered). Returns <c>null</c> when there is no such schedule.
    /// </summary>
    public async Task<ScheduleTriggerResponse?> TriggerAsync(string name, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleRow.Columns} FROM schedules s WHERE s.name = @name AND s.deleted_at IS NULL FOR UPDATE",
            new { name }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var slotAt = Now();
        while (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM schedule_slots WHERE schedule_id = @id AND slot_at = @slotAt)",
            new { id = row.Id, slotAt }, transaction, cancellationToken: cancellationToken)))
        {
            slotAt = slotAt.AddTicks(10);
        }

        // From here the slot is recorded whatever the client does: a manual slot is not retried
        // like a scheduled one, so a disconnect must not leave its operation without its slot.
        var result = await StartSlotAsync(connection, transaction, row, slotAt, new SlotStart(Late: false, Manual: true, caller.Subject, FromBuffer: false), CancellationToken.None);
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "schedule.trigger", "schedule", name, caller.ClientAddress, caller.TraceId,
            new { id = row.Id, slotAt, status = result.Slot?.Status, buffered = result.Buffered, result.Slot?.OperationId, result.Slot?.RunId }), CancellationToken.None);
        await ScheduleStore.NotifyAsync(connection, transaction, row.Id, CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        await AfterCommitAsync([result], CancellationToken.None);
        return new ScheduleTriggerResponse(name, slotAt, result.Buffered, result.Slot);
    }

    /// <summary>Handles the due slots of one schedule; false when no schedule is due (or all due ones are held by another replica).</summary>
    private async Task<bool> HandleNextDueAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"""
            SELECT {ScheduleRow.Columns} FROM schedules s
             WHERE s.deleted_at IS NULL AND NOT s.paused AND s.next_due_at <= @now
             ORDER BY s.next_due_at
             LIMIT 1
               FOR UPDATE SKIP LOCKED
            """, new { now }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            await transaction.CommitAsync(cancellationToken);
            return false;
        }

        if (!ScheduleCron.TryParse(row.Cron, out var expression, out _) || !ScheduleCron.TryFindZone(row.TimeZone, out var zone))
        {
            ScheduleLog.Unreadable(logger, row.Name, row.Cron, row.TimeZone);
            await SetCursorAsync(connection, transaction, row.Id, null, null, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }

        // The slots due by now, in order, from the cursor (itself a slot Cronos computed: walking
        // from it with GetNextOccurrence keeps DST-shifted slots); the first not yet due (jitter)
        // stays the cursor.
        DateTimeOffset? cursor = DbTime.Utc(row.NextSlotAt!.Value);
        long unrecorded = 0;
        if (now - cursor > MissedHorizon)
        {
            unrecorded = -1;
            cursor = ScheduleCron.Next(expression, zone, now - MissedHorizon);
        }

        var window = new Queue<(DateTimeOffset Slot, DateTimeOffset DueAt)>();
        DateTimeOffset? nextSlot = null;
        while (cursor is { } slot && slot <= now)
        {
            var dueAt = slot + ScheduleCron.Jitter(row.Id, slot, row.JitterSeconds);
            if (dueAt > now)
            {
                nextSlot = slot;
                break;
            }

            window.Enqueue((slot, dueAt));
            if (window.Count > MaxMissedRecorded + 1)
            {
                window.Dequeue();
                unrecorded = unrecorded < 0 ? unrecorded : unrecorded + 1;
            }

            cursor = ScheduleCron.Next(expression, zone, slot);
        }

        nextSlot ??= cursor;
        var due = window.ToList();
        if (unrecorded != 0)
        {
            ScheduleLog.MissedNotRecorded(logger, row.Name, unrecorded, MissedHorizon);
        }

        // On time: every slot found due within LateAfter. After an outage: only the latest slot
        // inside the catch-up window starts (late); older ones are recorded missed.
        var onTime = due.Where(d => now - d.DueAt <= LateAfter).ToList();
        var toStart = onTime.Count > 0
            ? onTime
            : due.Count > 0 && now - due[^1].Slot <= TimeSpan.FromSeconds(row.CatchupWindowSeconds) ? [due[^1]] : [];
        var missed = due.Except(toStart).ToList();

        foreach (var (slot, _) in missed)
        {
            await RecordMissedAsync(connection, transaction, row, slot, now, cancellationToken);
        }

        if (missed.Count > 0)
        {
            ScheduleLog.SlotsMissed(logger, row.Name, missed.Count, missed[0].Slot);
        }

        var results = new List<SlotResult>();
        var current = row;
        foreach (var (slot, dueAt) in toStart)
        {
            var result = await StartSlotAsync(connection, transaction, current, slot, new SlotStart(now - dueAt > LateAfter, false, null, false), cancellationToken);
            results.Add(result);
            if (result.Buffered)
            {
                current = current with { BufferedSlotAt = slot.UtcDateTime };
            }
        }

        var nextDue = nextSlot is { } n ? n + ScheduleCron.Jitter(row.Id, n, row.JitterSeconds) : (DateTimeOffset?)null;
        await SetCursorAsync(connection, transaction, row.Id, nextSlot, nextDue, cancellationToken);
        await ScheduleStore.NotifyAsync(connection, transaction, row.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AfterCommitAsync(results, cancellationToken);
        return true;
    }

    /// <summary>Starts one slot that waited under <c>buffer_one</c> whose previous run has ended; false when there is none.</summary>
    private async Task<bool> StartNextBufferedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"""
            SELECT {ScheduleRow.Columns} FROM schedules s
             WHERE s.deleted_at IS NULL AND NOT s.paused AND s.buffered_slot_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM schedule_slots sl WHERE sl.schedule_id = s.id AND sl.status = 'started')
             LIMIT 1
               FOR UPDATE SKIP LOCKED
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (row?.BufferedSlotAt is not { } buffered)
        {
            await transaction.CommitAsync(cancellationToken);
            return false;
        }

        var result = await StartSlotAsync(connection, transaction, row, DbTime.Utc(buffered), new SlotStart(Late: true, Manual: false, null, FromBuffer: true), cancellationToken);
        if (result.Buffered)
        {
            // Another run of this schedule started meanwhile (a trigger under another policy): it keeps waiting.
            await transaction.CommitAsync(cancellationToken);
            return false;
        }

        await ScheduleStore.NotifyAsync(connection, transaction, row.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AfterCommitAsync([result], cancellationToken);
        return true;
    }

    /// <summary>
    /// The one place a slot starts (scheduled, caught up, buffered or triggered), inside the
    /// transaction that holds the schedule's row lock: applies the overlap policy against the
    /// schedule's unfinished slots, records the slot under its unique key, submits its operation
    /// (or starts its runbook run) and records what it started — or <c>failed</c> with the reason and
    /// <c>schedule.slot_failed</c> when it could not start. First, a schedule whose action needs an
    /// approval (DESIGN.md §13–14) starts only while its approval is <c>approved</c> for exactly its
    /// current content: its operation or run then starts without an approval of its own, as approved
    /// (on the agents frozen in the approval), and the slot and the audit record name the approval;
    /// otherwise the slot is recorded <c>skipped</c> with the reason, and <c>schedule.slot_missed</c> is emitted.
    /// </summary>
    internal async Task<SlotResult> StartSlotAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, DateTimeOffset slotAt, SlotStart start, CancellationToken cancellationToken)
    {
        var now = Now();
        var approval = await approvals.EvaluateAsync(connection, transaction, schedule, cancellationToken);
        if (approval is ScheduleApprovals.SlotApproval.Blocked blocked)
        {
            return await RecordUnapprovedAsync(connection, transaction, schedule, slotAt, start, now, blocked, cancellationToken);
        }

        var covered = approval as ScheduleApprovals.SlotApproval.Covered;
        var overlap = DbEnum.Parse<ScheduleOverlap>(schedule.Overlap);
        var unfinished = (await connection.QueryAsync<(long Id, DateTime SlotAt, Guid? OperationId, Guid? RunId)>(new CommandDefinition(
            "SELECT id, slot_at, operation_id, run_id FROM schedule_slots WHERE schedule_id = @id AND status = 'started' ORDER BY id",
            new { id = schedule.Id }, transaction, cancellationToken: cancellationToken))).ToList();
        var cancel = new List<(Guid? OperationId, Guid? RunId)>();
        if (unfinished.Count > 0)
        {
            var previous = unfinished[^1];
            var what = previous.OperationId is { } op ? $"operation {op}" : $"runbook run {previous.RunId}";
            switch (overlap)
            {
                case ScheduleOverlap.Skip:
                    return await RecordSkippedAsync(connection, transaction, schedule, slotAt, start, now,
                        $"the previous slot's {what} is unfinished (overlap skip)", cancellationToken);
                case ScheduleOverlap.BufferOne when start.FromBuffer:
                    return SlotResult.WaitingInBuffer;
                case ScheduleOverlap.BufferOne when schedule.BufferedSlotAt is null:
                    await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE schedules SET buffered_slot_at = @slotAt WHERE id = @id",
                        new { id = schedule.Id, slotAt }, transaction, cancellationToken: cancellationToken));
                    ScheduleLog.SlotBuffered(logger, schedule.Name, slotAt);
                    return SlotResult.WaitingInBuffer;
                case ScheduleOverlap.BufferOne:
                    return await RecordSkippedAsync(connection, transaction, schedule, slotAt, start, now,
                        $"the previous slot's {what} is unfinished and slot {DbTime.Utc(schedule.BufferedSlotAt!.Value):O} already waits (overlap buffer_one)", cancellationToken);
                case ScheduleOverlap.CancelOther:
                    cancel.AddRange(unfinished.Select(u => (u.OperationId, u.RunId)));
                    break;
                case ScheduleOverlap.Allow:
                    break;
            }
        }

        var inserted = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            """
            INSERT INTO schedule_slots (schedule_id, slot_at, fired_at, status, late, manual, triggered_by)
            VALUES (@id, @slotAt, @now, 'started', @late, @manual, @by)
            ON CONFLICT (schedule_id, slot_at) DO NOTHING
            RETURNING id
            """,
            new { id = schedule.Id, slotAt, now, late = start.Late, manual = start.Manual, by = start.TriggeredBy },
            transaction, cancellationToken: cancellationToken));
        if (inserted is not { } slotId)
        {
            // Already handled (the unique key): never start a slot twice.
            return SlotResult.AlreadyRecorded;
        }

        if (start.FromBuffer)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedules SET buffered_slot_at = NULL WHERE id = @id", new { id = schedule.Id }, transaction, cancellationToken: cancellationToken));
        }

        var requestedBy = $"schedule:{schedule.Name}";
        foreach (var (operationId, runId) in cancel)
        {
            await CancelPreviousAsync(operationId, runId, requestedBy, cancellationToken);
        }

        var key = FormattableString.Invariant($"schedule-slot:{schedule.Id:N}:{slotAt.UtcTicks}");
        var started = schedule.Operation is not null
            ? covered is not null
                ? await StartCoveredOperationAsync(connection, transaction, schedule, covered, key, requestedBy, now, cancellationToken)
                : await StartOperationAsync(schedule, key, requestedBy, cancellationToken)
            : await StartRunbookAsync(schedule, slotAt, key, requestedBy, covered, cancellationToken);

        if (started.Error is { } error)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedule_slots SET status = 'failed', error = @error, finished_at = @now WHERE id = @slotId",
                new { slotId, error, now }, transaction, cancellationToken: cancellationToken));
            await events.AppendAsync(connection, transaction, EventTypes.ScheduleSlotFailed, "schedule", schedule.Name,
                new SlotEventData(schedule.Name, slotAt, "failed", null, null), cancellationToken);
            ScheduleMetrics.Slots.Add(1, new KeyValuePair<string, object?>("status", "failed"));
            ScheduleLog.SlotFailedToStart(logger, schedule.Name, slotAt, error);
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedule_slots SET operation_id = @operationId, run_id = @runId, approval_id = @approvalId WHERE id = @slotId",
                new { slotId, operationId = started.OperationId, runId = started.RunId, approvalId = covered?.ApprovalId }, transaction, cancellationToken: cancellationToken));
            ScheduleMetrics.Slots.Add(1, new KeyValuePair<string, object?>("status", "started"));
            ScheduleLog.SlotStarted(logger, schedule.Name, slotAt, started.OperationId is null ? "runbook run" : "operation",
                started.OperationId ?? started.RunId!.Value, start.Late, start.Manual);
        }

        var slot = await connection.QuerySingleAsync<ScheduleSlotRow>(new CommandDefinition(
            $"SELECT {ScheduleSlotRow.Columns} FROM schedule_slots sl WHERE sl.id = @slotId", new { slotId }, transaction, cancellationToken: cancellationToken));
        return new SlotResult(ScheduleSlotResponse.From(slot), false, started.AgentIds, started.OperationId);
    }

    private async Task<Started> StartOperationAsync(ScheduleRow schedule, string key, string requestedBy, CancellationToken cancellationToken)
    {
        CreateOperationRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<CreateOperationRequest>(schedule.Operation!, OpsJson.Default);
        }
        catch (JsonException ex)
        {
            return new Started(null, null, [], $"The stored operation cannot be read: {ex.Message}");
        }

        if (request is null || !OperationKindCatalog.TryGet(request.Kind, out var kind))
        {
            return new Started(null, null, [], $"The stored operation names no known kind ('{request?.Kind}').");
        }

        // The schedule's own locks (DESIGN.md §13) join the operation's (DESIGN.md §11).
        if (schedule.Locks.Length > 0)
        {
            request = request with { Locks = (request.Locks ?? []).Concat(schedule.Locks).Distinct(StringComparer.Ordinal).ToList() };
        }

        var caller = new Caller(requestedBy, "scheduler", null, System.Diagnostics.Activity.Current?.TraceId.ToString());
        var outcome = await operations.CreateAsync(request, kind, caller, key, cancellationToken);
        return outcome switch
        {
            CreateOperationOutcome.Created created => new Started(created.Operation.Id, null, created.AgentIds, null),
            CreateOperationOutcome.Replayed replayed => new Started(replayed.Operation.Id, null, [], null),
            // The slot's key was used with another body: the schedule changed after this slot's operation was created.
            CreateOperationOutcome.KeyConflict conflict => new Started(conflict.ExistingOperationId, null, [], null),
            CreateOperationOutcome.TargetInvalid invalid => new Started(null, null, [],
                string.Join(" ", invalid.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))),
            _ => throw new InvalidOperationException($"Unexpected outcome {outcome}."),
        };
    }

    /// <summary>
    /// Submits the operation of a slot covered by the schedule's approval, in the slot's transaction:
    /// on exactly the agents frozen in the approval (never re-resolved: an agent enrolled later with
    /// matching labels is not added), its jobs released at once as an approved operation's are
    /// (<see cref="OperationApprovalTarget.ReleaseJobsAsync"/>: queued, or waiting for its locks and
    /// rollout), with no approval of its own; its audit record <c>operation.create</c> names the
    /// covering <c>approvalId</c>.
    /// </summary>
    private async Task<Started> StartCoveredOperationAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        ScheduleRow schedule,
        ScheduleApprovals.SlotApproval.Covered covered,
        string key,
        string requestedBy,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var request = ScheduleApprovals.ReadOperation(schedule);
        if (request is null || !OperationKindCatalog.TryGet(request.Kind, out var kind))
        {
            return new Started(null, null, [], $"The stored operation cannot be read or names no known kind ('{request?.Kind}').");
        }

        if (schedule.Locks.Length > 0)
        {
            request = request with { Locks = (request.Locks ?? []).Concat(schedule.Locks).Distinct(StringComparer.Ordinal).ToList() };
        }

        request = request with { Target = new OperationTarget(AgentIds: covered.Agents.Select(a => a.Id).ToList()) };
        var hash = System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, OpsJson.Default));
        var inserted = await operations.InsertAsync(connection, transaction, request, kind, requestedBy, key, hash, null, cancellationToken);
        if (inserted.Operation is not { } operation)
        {
            return new Started(null, null, [],
                $"The agents approved for this schedule cannot run it now (approval {covered.ApprovalId}): " +
                string.Join(" ", inserted.Errors.SelectMany(e => e.Value)) + " Save the schedule again (PUT) to request an approval for its current agents.");
        }

        var wake = operation.Status == OperationStatus.PendingApproval
            ? await OperationApprovalTarget.ReleaseJobsAsync(connection, transaction, operation.Id, now, cancellationToken)
            : inserted.AgentIds;
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            requestedBy, "scheduler", "operation.create", "operation", operation.Id.ToString(), null, System.Diagnostics.Activity.Current?.TraceId.ToString(),
            new
            {
                kind = kind.Name,
                target = request.Target,
                jobs = inserted.AgentIds.Count,
                idempotencyKey = key,
                rollout = request.Rollout,
                locks = operation.Locks,
                schedule = schedule.Name,
                approvalId = covered.ApprovalId,
            }), cancellationToken);
        ScheduleLog.SlotCovered(logger, schedule.Name, operation.Id, covered.ApprovalId);
        return new Started(operation.Id, null, wake, null);
    }

    private async Task<Started> StartRunbookAsync(
        ScheduleRow schedule, DateTimeOffset slotAt, string key, string requestedBy, ScheduleApprovals.SlotApproval.Covered? covered, CancellationToken cancellationToken)
    {
        JsonElement? parameters = schedule.Parameters is null ? null : Infrastructure.Storage.DbJson.Parse(schedule.Parameters);
        var result = await runbooks.StartAsync(
            schedule.Runbook!, parameters, requestedBy, key, slotAt, cancellationToken, covered?.RunbookVersion, covered?.ApprovalId);
        if (covered is not null && result.RunId is { } coveredRun)
        {
            ScheduleLog.SlotCovered(logger, schedule.Name, coveredRun, covered.ApprovalId);
        }

        return result.RunId is { } runId
            ? new Started(null, runId, [], null)
            : new Started(null, null, [], result.Error ?? "The runbook run could not be started.");
    }

    private async Task CancelPreviousAsync(Guid? operationId, Guid? runId, string requestedBy, CancellationToken cancellationToken)
    {
        if (operationId is { } id)
        {
            var done = await operations.CancelAsync(id, new Caller(requestedBy, "scheduler", null, null), cancellationToken);
            foreach (var agentId in done?.AgentsToWake ?? [])
            {
                wakeups.Notify(agentId);
            }
        }
        else if (runId is { } run)
        {
            await runbooks.CancelAsync(run, requestedBy, cancellationToken);
        }
    }

    private async Task<SlotResult> RecordSkippedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, DateTimeOffset slotAt, SlotStart start, DateTimeOffset now,
        string reason, CancellationToken cancellationToken)
    {
        var slot = await connection.QuerySingleOrDefaultAsync<ScheduleSlotRow>(new CommandDefinition(
            $"""
            INSERT INTO schedule_slots AS sl (schedule_id, slot_at, fired_at, status, late, manual, triggered_by, error)
            VALUES (@id, @slotAt, @now, 'skipped', @late, @manual, @by, @reason)
            ON CONFLICT (schedule_id, slot_at) DO NOTHING
            RETURNING {ScheduleSlotRow.Columns}
            """,
            new { id = schedule.Id, slotAt, now, late = start.Late, manual = start.Manual, by = start.TriggeredBy, reason },
            transaction, cancellationToken: cancellationToken));
        if (slot is null)
        {
            return SlotResult.AlreadyRecorded;
        }

        ScheduleMetrics.Slots.Add(1, new KeyValuePair<string, object?>("status", "skipped"));
        ScheduleLog.SlotSkipped(logger, schedule.Name, slotAt, reason);
        return new SlotResult(ScheduleSlotResponse.From(slot), false, [], null);
    }

    /// <summary>
    /// Records a slot that does not start for want of an approved approval: <c>skipped</c> with the
    /// reason and the approval it waited for, and <c>schedule.slot_missed</c> (a person has something
    /// to do: approve it, or save the schedule again). A slot released from the buffer is taken out of it.
    /// </summary>
    private async Task<SlotResult> RecordUnapprovedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, DateTimeOffset slotAt, SlotStart start, DateTimeOffset now,
        ScheduleApprovals.SlotApproval.Blocked blocked, CancellationToken cancellationToken)
    {
        if (start.FromBuffer)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedules SET buffered_slot_at = NULL WHERE id = @id", new { id = schedule.Id }, transaction, cancellationToken: cancellationToken));
        }

        var slot = await connection.QuerySingleOrDefaultAsync<ScheduleSlotRow>(new CommandDefinition(
            $"""
            INSERT INTO schedule_slots AS sl (schedule_id, slot_at, fired_at, status, late, manual, triggered_by, error, approval_id)
            VALUES (@id, @slotAt, @now, 'skipped', @late, @manual, @by, @reason, @approvalId)
            ON CONFLICT (schedule_id, slot_at) DO NOTHING
            RETURNING {ScheduleSlotRow.Columns}
            """,
            new { id = schedule.Id, slotAt, now, late = start.Late, manual = start.Manual, by = start.TriggeredBy, reason = blocked.Reason, approvalId = blocked.ApprovalId },
            transaction, cancellationToken: cancellationToken));
        if (slot is null)
        {
            return SlotResult.AlreadyRecorded;
        }

        await events.AppendAsync(connection, transaction, EventTypes.ScheduleSlotMissed, "schedule", schedule.Name,
            new SlotEventData(schedule.Name, slotAt, "skipped", null, null, blocked.Reason, blocked.ApprovalId), cancellationToken);
        ScheduleMetrics.Slots.Add(1, new KeyValuePair<string, object?>("status", "skipped"));
        ScheduleLog.SlotSkipped(logger, schedule.Name, slotAt, blocked.Reason);
        return new SlotResult(ScheduleSlotResponse.From(slot), false, [], null);
    }

    private async Task RecordMissedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, DateTimeOffset slotAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var recorded = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO schedule_slots (schedule_id, slot_at, fired_at, status, late, error)
            VALUES (@id, @slotAt, @now, 'missed', true, 'the control plane was not running at this time; a later slot superseded it or it was outside the catch-up window')
            ON CONFLICT (schedule_id, slot_at) DO NOTHING
            """,
            new { id = schedule.Id, slotAt, now }, transaction, cancellationToken: cancellationToken));
        if (recorded > 0)
        {
            await events.AppendAsync(connection, transaction, EventTypes.ScheduleSlotMissed, "schedule", schedule.Name,
                new SlotEventData(schedule.Name, slotAt, "missed", null, null), cancellationToken);
            ScheduleMetrics.Slots.Add(1, new KeyValuePair<string, object?>("status", "missed"));
        }
    }

    /// <summary>
    /// Settles started slots whose operation is already terminal: an operation that ended before
    /// its slot's transaction committed was not seen by the trigger of migration 0020.
    /// </summary>
    private async Task SettleFinishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            SELECT schedule_slots_settle(f.id, NULL, f.status)
              FROM (SELECT DISTINCT o.id, o.status
                      FROM schedule_slots sl JOIN operations o ON o.id = sl.operation_id
                     WHERE sl.status = 'started' AND operation_is_terminal(o.status)) f
            """, cancellationToken: cancellationToken));
    }

    private async Task AfterCommitAsync(IEnumerable<SlotResult> results, CancellationToken cancellationToken)
    {
        var settle = false;
        foreach (var result in results)
        {
            foreach (var agentId in result.AgentIds)
            {
                wakeups.Notify(agentId);
            }

            settle |= result.OperationId is not null;
        }

        if (settle)
        {
            await SettleFinishedAsync(cancellationToken);
        }
    }

    private static Task SetCursorAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, DateTimeOffset? nextSlot, DateTimeOffset? nextDue, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedules SET next_slot_at = @nextSlot, next_due_at = @nextDue WHERE id = @id",
            new { id, nextSlot, nextDue }, transaction, cancellationToken: cancellationToken));

    /// <summary>Now, truncated to the microseconds PostgreSQL keeps.</summary>
    private DateTimeOffset Now()
    {
        var now = timeProvider.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }

    /// <summary>How a slot comes to start: late (catch-up, buffer), manual (trigger) and by whom, released from the buffer.</summary>
    internal sealed record SlotStart(bool Late, bool Manual, string? TriggeredBy, bool FromBuffer);

    /// <summary>What <see cref="StartSlotAsync"/> did: the recorded slot, or waiting in the buffer; agents to wake after commit.</summary>
    internal sealed record SlotResult(ScheduleSlotResponse? Slot, bool Buffered, IReadOnlyList<Guid> AgentIds, Guid? OperationId)
    {
        public static SlotResult WaitingInBuffer { get; } = new(null, true, [], null);

        public static SlotResult AlreadyRecorded { get; } = new(null, false, [], null);
    }

    private sealed record Started(Guid? OperationId, Guid? RunId, IReadOnlyList<Guid> AgentIds, string? Error);

    /// <summary>
    /// The data of the <c>schedule.slot_*</c> events: <c>{schedule, slotAt, status, operationId?, runId?}</c>;
    /// a slot skipped for want of an approval adds <c>reason</c> and <c>approvalId?</c>.
    /// </summary>
    private sealed record SlotEventData(
        string Schedule,
        DateTimeOffset SlotAt,
        string Status,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] Guid? OperationId,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] Guid? RunId,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Reason = null,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] Guid? ApprovalId = null);
}
