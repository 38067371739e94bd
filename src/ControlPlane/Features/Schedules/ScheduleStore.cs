using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.Contracts.Json;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Data access of schedules and their slots (DESIGN.md §13). Every change is written with its
/// audit record in one transaction and wakes the schedulers of every replica
/// (<c>NOTIFY ops_schedules</c> at commit, <see cref="ScheduleSignal"/> here).
/// </summary>
internal sealed class ScheduleStore(NpgsqlDataSource dataSource, AuditWriter audit, ScheduleSignal signal, ScheduleApprovals approvals, TimeProvider timeProvider)
{
    /// <summary>How many upcoming slots a schedule shows.</summary>
    public const int NextRunsShown = 5;

    /// <summary>What <see cref="PutAsync"/> did.</summary>
    public enum PutResult
    {
        /// <summary>A new schedule.</summary>
        Created,

        /// <summary>An existing schedule changed.</summary>
        Updated,

        /// <summary>The same content again: nothing changed.</summary>
        Unchanged,

        /// <summary>Another request created the same name at the same moment: retry.</summary>
        Conflict,

        /// <summary>Nothing saved: the schedule's approval could not be requested (its target resolves to no agent to freeze); 400 with the errors.</summary>
        Invalid,
    }

    /// <summary>
    /// Creates or replaces schedule <paramref name="name"/> with the validated
    /// <paramref name="request"/>. The same content again changes nothing (no audit record); a
    /// change of content increments <c>version</c>; a change of expression, zone or jitter, or a
    /// resume, moves the next slot to the first one after now. A schedule whose action needs an
    /// approval gets one for its content in the same transaction (<see cref="ScheduleApprovals.SyncAsync"/>):
    /// kept when the request it would approve is unchanged, otherwise the old one is withdrawn and a
    /// new one requested by <paramref name="caller"/>; <see cref="PutResult.Invalid"/> with the errors
    /// (and nothing saved) when it cannot be requested.
    /// </summary>
    public async Task<(PutResult Result, ScheduleResponse? Schedule, IReadOnlyDictionary<string, string[]>? Errors)> PutAsync(
        string name, PutScheduleRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var content = Content.From(request);
        var hash = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(content, OpsJson.Default));
        var now = DbTimeNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var existing = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleRow.Columns} FROM schedules s WHERE s.name = @name AND s.deleted_at IS NULL FOR UPDATE",
            new { name }, transaction, cancellationToken: cancellationToken));

        var paused = request.Paused ?? existing?.Paused ?? false;
        if (existing is not null && existing.ContentHash.AsSpan().SequenceEqual(hash) && existing.Paused == paused)
        {
            // The same content: its approval is kept, unless the request it would approve changed
            // under it (its target resolves to other agents, its runbook has a new version) or the
            // approval ended rejected or expired: then this PUT asks again.
            var same = await approvals.SyncAsync(connection, transaction, existing, caller, cancellationToken);
            if (same.Count > 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return (PutResult.Invalid, null, same);
            }

            var current = await ReadAsync(connection, transaction, existing.Id, cancellationToken);
            if (current!.ApprovalId != existing.ApprovalId)
            {
                await NotifyAsync(connection, transaction, existing.Id, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return (PutResult.Unchanged, await ToResponseAsync(connection, current, cancellationToken), null);
        }

        var id = existing?.Id ?? Guid.CreateVersion7(now);
        var timing = existing is null
            || existing.Cron != content.Cron || existing.TimeZone != content.TimeZone || existing.JitterSeconds != content.JitterSeconds
            || (existing.Paused && !paused);
        var (nextSlot, nextDue) = timing
            ? Cursor(id, content.Cron, content.TimeZone, content.JitterSeconds, now)
            : (DbTime.Utc(existing!.NextSlotAt), DbTime.Utc(existing.NextDueAt));
        var contentChanged = existing is null || !existing.ContentHash.AsSpan().SequenceEqual(hash);
        var version = existing is null ? 1 : existing.Version + (contentChanged ? 1 : 0);
        var values = new
        {
            id,
            name,
            cron = content.Cron,
            timeZone = content.TimeZone,
            operation = content.Operation is { } op ? op.GetRawText() : null,
            runbook = content.Runbook,
            parameters = content.Parameters is { } p ? p.GetRawText() : null,
            overlap = DbEnum.ToText(content.Overlap),
            catchup = content.CatchupWindowSeconds,
            jitter = content.JitterSeconds,
            paused,
            description = content.Description,
            locks = content.Locks.ToArray(),
            hash,
            version,
            by = caller.Subject,
            now,
            nextSlot,
            nextDue,
        };

        if (existing is null)
        {
            await using (var savepoint = new NpgsqlCommand("SAVEPOINT put_schedule", connection, transaction))
            {
                await savepoint.ExecuteNonQueryAsync(cancellationToken);
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO schedules (id, name, cron, time_zone, operation, runbook, parameters, overlap, catchup_window_seconds, jitter_seconds,
                                           paused, description, locks, content_hash, version, created_by, created_at, updated_by, updated_at,
                                           next_slot_at, next_due_at)
                    VALUES (@id, @name, @cron, @timeZone, @operation::jsonb, @runbook, @parameters::jsonb, @overlap, @catchup, @jitter,
                            @paused, @description, @locks, @hash, @version, @by, @now, @by, @now, @nextSlot, @nextDue)
                    """, values, transaction, cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return (PutResult.Conflict, null, null);
            }
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE schedules SET cron = @cron, time_zone = @timeZone, operation = @operation::jsonb, runbook = @runbook,
                                     parameters = @parameters::jsonb, overlap = @overlap, catchup_window_seconds = @catchup,
                                     jitter_seconds = @jitter, paused = @paused, description = @description, locks = @locks,
                                     content_hash = @hash, version = @version, updated_by = @by, updated_at = @now,
                                     next_slot_at = @nextSlot, next_due_at = @nextDue
                 WHERE id = @id
                """, values, transaction, cancellationToken: cancellationToken));
            if (paused && !existing.Paused)
            {
                await DropBufferedAsync(connection, transaction, existing, "the schedule was paused while this slot waited", cancellationToken);
            }
        }

        var errors = await approvals.SyncAsync(connection, transaction, (await ReadAsync(connection, transaction, id, cancellationToken))!, caller, cancellationToken);
        if (errors.Count > 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (PutResult.Invalid, null, errors);
        }

        var row = await ReadAsync(connection, transaction, id, cancellationToken);
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, existing is null ? "schedule.create" : "schedule.update", "schedule", name, caller.ClientAddress, caller.TraceId,
            new
            {
                id,
                version,
                cron = content.Cron,
                timeZone = content.TimeZone,
                kind = content.Operation is { } o && o.TryGetProperty("kind", out var kind) ? kind.GetString() : null,
                runbook = content.Runbook,
                paused,
                previousVersion = existing?.Version,
                approvalId = row!.ApprovalId,
                approvalRequestHash = row.ApprovalRequestHash,
            }), cancellationToken);
        await NotifyAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        return (existing is null ? PutResult.Created : PutResult.Updated, await ToResponseAsync(connection, row, cancellationToken), null);
    }

    /// <summary>The schedule named <paramref name="name"/> with its next runs and last slot, or <c>null</c>.</summary>
    public async Task<ScheduleResponse?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, null, name, cancellationToken) is { } row
            ? await ToResponseAsync(connection, row, cancellationToken)
            : null;
    }

    /// <summary>The stored row of <paramref name="name"/>, or <c>null</c>.</summary>
    public async Task<ScheduleRow?> GetRowAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, null, name, cancellationToken);
    }

    /// <summary>One page of schedules in name order after <paramref name="after"/>, each with its next runs and last slot.</summary>
    public async Task<IReadOnlyList<ScheduleResponse>> ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ScheduleRow>(new CommandDefinition(
            $"""
            SELECT {ScheduleRow.Columns} FROM schedules s
             WHERE s.deleted_at IS NULL AND (@after::text IS NULL OR s.name COLLATE "C" > @after)
             ORDER BY s.name COLLATE "C"
             LIMIT @limit
            """, new { after, limit }, cancellationToken: cancellationToken))).ToList();
        var last = (await connection.QueryAsync<ScheduleSlotRow>(new CommandDefinition(
            $"""
            SELECT DISTINCT ON (sl.schedule_id) {ScheduleSlotRow.Columns}
              FROM schedule_slots sl WHERE sl.schedule_id = ANY(@ids)
             ORDER BY sl.schedule_id, sl.id DESC
            """, new { ids = rows.Select(r => r.Id).ToArray() }, cancellationToken: cancellationToken))).ToDictionary(s => s.ScheduleId);
        var now = timeProvider.GetUtcNow();
        return rows.Select(r => ToResponse(r, last.GetValueOrDefault(r.Id), now)).ToList();
    }

    /// <summary>
    /// Deletes (archives) the schedule: no slot starts any more, the name is free again; its slots
    /// and the runs they started are kept. Returns false when there is no such schedule.
    /// </summary>
    public async Task<bool> DeleteAsync(string name, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await FindAsync(connection, transaction, name, cancellationToken, forUpdate: true);
        if (row is null)
        {
            return false;
        }

        await DropBufferedAsync(connection, transaction, row, "the schedule was deleted while this slot waited", cancellationToken);
        await approvals.WithdrawAsync(connection, transaction, row, caller, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedules SET deleted_at = @now, deleted_by = @by, next_slot_at = NULL, next_due_at = NULL WHERE id = @id",
            new { id = row.Id, now = DbTimeNow(), by = caller.Subject }, transaction, cancellationToken: cancellationToken));
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "schedule.delete", "schedule", name, caller.ClientAddress, caller.TraceId,
            new { id = row.Id, version = row.Version }), cancellationToken);
        await NotifyAsync(connection, transaction, row.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        return true;
    }

    /// <summary>
    /// Pauses or resumes. Resuming moves the next slot to the first one after now (slots of the
    /// paused time are not caught up); pausing drops a slot waiting under <c>buffer_one</c>
    /// (recorded <c>skipped</c>). A no-op when already in that state (no audit record).
    /// Returns <c>null</c> when there is no such schedule.
    /// </summary>
    public async Task<ScheduleResponse?> SetPausedAsync(string name, bool paused, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await FindAsync(connection, transaction, name, cancellationToken, forUpdate: true);
        if (row is null)
        {
            return null;
        }

        if (row.Paused == paused)
        {
            await transaction.CommitAsync(cancellationToken);
            return await ToResponseAsync(connection, row, cancellationToken);
        }

        var now = DbTimeNow();
        if (paused)
        {
            await DropBufferedAsync(connection, transaction, row, "the schedule was paused while this slot waited", cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedules SET paused = true, updated_by = @by, updated_at = @now WHERE id = @id",
                new { id = row.Id, by = caller.Subject, now }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            var (nextSlot, nextDue) = Cursor(row.Id, row.Cron, row.TimeZone, row.JitterSeconds, now);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedules SET paused = false, updated_by = @by, updated_at = @now, next_slot_at = @nextSlot, next_due_at = @nextDue WHERE id = @id",
                new { id = row.Id, by = caller.Subject, now, nextSlot, nextDue }, transaction, cancellationToken: cancellationToken));
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, paused ? "schedule.pause" : "schedule.resume", "schedule", name, caller.ClientAddress, caller.TraceId,
            new { id = row.Id, version = row.Version }), cancellationToken);
        await NotifyAsync(connection, transaction, row.Id, cancellationToken);
        var updated = await ReadAsync(connection, transaction, row.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        return await ToResponseAsync(connection, updated!, cancellationToken);
    }

    /// <summary>
    /// One page of the slots of <paramref name="name"/>, newest first (by recording order),
    /// optionally of one <paramref name="status"/>; <c>null</c> when there is no such schedule.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleSlotResponse>?> ListSlotsAsync(
        string name, ScheduleSlotStatus? status, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await FindAsync(connection, null, name, cancellationToken) is not { } row)
        {
            return null;
        }

        var slots = await connection.QueryAsync<ScheduleSlotRow>(new CommandDefinition(
            $"""
            SELECT {ScheduleSlotRow.Columns} FROM schedule_slots sl
             WHERE sl.schedule_id = @id
               AND (@status::text IS NULL OR sl.status = @status)
               AND (@before::bigint IS NULL OR sl.id < @before)
             ORDER BY sl.id DESC
             LIMIT @limit
            """,
            new { id = row.Id, status = status is null ? null : DbEnum.ToText(status.Value), before, limit },
            cancellationToken: cancellationToken));
        return slots.Select(ScheduleSlotResponse.From).ToList();
    }

    /// <summary>
    /// The scheduler's cursor for a schedule from <paramref name="after"/>: the first slot strictly
    /// after it and its due time (slot + stable jitter); both <c>null</c> when the expression never fires again.
    /// </summary>
    public static (DateTimeOffset? NextSlot, DateTimeOffset? NextDue) Cursor(Guid id, string cron, string timeZone, int jitterSeconds, DateTimeOffset after)
    {
        if (!ScheduleCron.TryParse(cron, out var expression, out _) || !ScheduleCron.TryFindZone(timeZone, out var zone))
        {
            return (null, null);
        }

        return ScheduleCron.Next(expression, zone, after) is { } next
            ? (next, next + ScheduleCron.Jitter(id, next, jitterSeconds))
            : (null, null);
    }

    /// <summary>The schedule as the API shows it, with its next runs from <paramref name="now"/>.</summary>
    public static ScheduleResponse ToResponse(ScheduleRow row, ScheduleSlotRow? lastSlot, DateTimeOffset now)
    {
        var nextRuns = new List<ScheduleNextRun>();
        if (ScheduleCron.TryParse(row.Cron, out var expression, out _) && ScheduleCron.TryFindZone(row.TimeZone, out var zone))
        {
            nextRuns.AddRange(ScheduleCron.NextRuns(expression, zone, now, NextRunsShown)
                .Select(r => new ScheduleNextRun(r, TimeZoneInfo.ConvertTime(r, zone))));
        }

        return new ScheduleResponse(
            row.Name,
            row.Description,
            row.Cron,
            row.TimeZone,
            row.Operation is null ? null : JsonDocument.Parse(row.Operation).RootElement.Clone(),
            row.Runbook,
            row.Parameters is null ? null : JsonDocument.Parse(row.Parameters).RootElement.Clone(),
            DbEnum.Parse<ScheduleOverlap>(row.Overlap),
            row.CatchupWindowSeconds,
            row.JitterSeconds,
            row.Paused,
            row.Locks,
            row.Version,
            nextRuns,
            lastSlot is null ? null : ScheduleSlotResponse.From(lastSlot),
            DbTime.Utc(row.BufferedSlotAt),
            row.CreatedBy,
            DbTime.Utc(row.CreatedAt),
            row.UpdatedBy,
            DbTime.Utc(row.UpdatedAt),
            row.ApprovalId is { } approvalId
                ? new ScheduleApprovalSummary(approvalId, DbEnum.Parse<Approvals.ApprovalStatus>(row.ApprovalStatus!), row.ApprovalRequestHash!)
                : null);
    }

    /// <summary>Sends <c>NOTIFY ops_schedules, '&lt;id&gt;'</c>, delivered at commit to every replica.</summary>
    public static async Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, @id)", new { channel = ScheduleSignal.Channel, id = id.ToString() }, transaction, cancellationToken: cancellationToken));

    private async Task<ScheduleResponse> ToResponseAsync(NpgsqlConnection connection, ScheduleRow row, CancellationToken cancellationToken)
    {
        var last = await connection.QuerySingleOrDefaultAsync<ScheduleSlotRow>(new CommandDefinition(
            $"SELECT {ScheduleSlotRow.Columns} FROM schedule_slots sl WHERE sl.schedule_id = @id ORDER BY sl.id DESC LIMIT 1",
            new { id = row.Id }, cancellationToken: cancellationToken));
        return ToResponse(row, last, timeProvider.GetUtcNow());
    }

    private static Task<ScheduleRow?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken cancellationToken, bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleRow.Columns} FROM schedules s WHERE s.name = @name AND s.deleted_at IS NULL{(forUpdate ? " FOR UPDATE" : string.Empty)}",
            new { name }, transaction, cancellationToken: cancellationToken));

    private static Task<ScheduleRow?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {ScheduleRow.Columns} FROM schedules s WHERE s.id = @id", new { id }, transaction, cancellationToken: cancellationToken));

    /// <summary>Records the slot waiting under <c>buffer_one</c> as <c>skipped</c> with <paramref name="reason"/> and clears it.</summary>
    private async Task DropBufferedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow row, string reason, CancellationToken cancellationToken)
    {
        if (row.BufferedSlotAt is not { } buffered)
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO schedule_slots (schedule_id, slot_at, fired_at, status, error) VALUES (@id, @slot, @now, 'skipped', @reason)
            ON CONFLICT (schedule_id, slot_at) DO NOTHING
            """,
            new { id = row.Id, slot = DbTime.Utc(buffered), now = DbTimeNow(), reason }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedules SET buffered_slot_at = NULL WHERE id = @id", new { id = row.Id }, transaction, cancellationToken: cancellationToken));
        ScheduleMetrics.Slots.Add(1, new KeyValuePair<string, object?>("status", "skipped"));
    }

    /// <summary>Now, truncated to the microseconds PostgreSQL keeps.</summary>
    private DateTimeOffset DbTimeNow()
    {
        var now = timeProvider.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }

    /// <summary>The normalised content of a schedule: what its hash and version follow (not <c>paused</c>).</summary>
    private sealed record Content(
        string Cron,
        string TimeZone,
        JsonElement? Operation,
        string? Runbook,
        JsonElement? Parameters,
        ScheduleOverlap Overlap,
        int CatchupWindowSeconds,
        int JitterSeconds,
        string? Description,
        IReadOnlyList<string> Locks)
    {
        public static Content From(PutScheduleRequest request) => new(
            request.Cron!.Trim(),
            request.TimeZone ?? ScheduleCron.DefaultTimeZone,
            request.Operation is null ? null : JsonSerializer.SerializeToElement(request.Operation, OpsJson.Default),
            request.Runbook,
            request.Runbook is null || request.Parameters is not { ValueKind: JsonValueKind.Object } p ? null : p,
            request.Overlap ?? ScheduleOverlap.Skip,
            request.CatchupWindowSeconds ?? PutScheduleRequestValidator.DefaultCatchupWindowSeconds,
            request.JitterSeconds ?? 0,
            request.Description,
            request.Locks ?? []);
    }
}
