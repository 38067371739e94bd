using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// Approvals of any guarded resource (DESIGN.md §14), generic over what they guard: a feature
/// asks for one with <see cref="RequestAsync"/> inside the transaction that creates its resource,
/// and implements <see cref="IApprovalTarget"/> to be released, rejected or expired in the
/// transaction of the decision. Every request and decision is written to the audit log with the
/// request hash and emits <c>approval.requested</c> / <c>approval.decided</c> (brief's event
/// contract: data <c>{id, resourceType, resourceId, requestHash, status, requestedBy}</c>) in the
/// same transaction.
/// </summary>
internal sealed class ApprovalStore(
    NpgsqlDataSource dataSource,
    IEnumerable<IApprovalTarget> targets,
    AuditWriter audit,
    EventWriter events,
    IOptions<ApprovalsOptions> options,
    TimeProvider timeProvider,
    ILogger<ApprovalStore> logger)
{
    /// <summary>The actor of expiries in the audit log and <c>decidedBy</c>.</summary>
    public const string SystemActor = "system";

    /// <summary>Most approvals one request may ask for.</summary>
    public const int MaxMinApprovals = 10;

    private readonly Dictionary<string, IApprovalTarget> _targets = targets.ToDictionary(t => t.ResourceType, StringComparer.Ordinal);

    /// <summary>
    /// The canonical JSON text of <paramref name="canonicalRequest"/> and its hash (lowercase hex
    /// SHA-256), as <see cref="RequestAsync"/> would store them (<see cref="CanonicalJson"/>). A
    /// feature computes the hash of its current content with this to ask <see cref="FindApprovedAsync"/>.
    /// </summary>
    public static (string Canonical, string Hash) HashOf(object canonicalRequest)
    {
        var canonical = CanonicalJson.Serialize(canonicalRequest);
        return (canonical, CanonicalJson.Hash(canonical));
    }

    /// <summary>
    /// Records a pending approval of (<paramref name="resourceType"/>, <paramref name="resourceId"/>)
    /// inside the caller's transaction: the request as it will run (<paramref name="canonicalRequest"/>,
    /// any JSON-serialisable value; stored in canonical form with its hash), the risk (destructive work
    /// is decided by admins, other work by operators), <paramref name="minApprovals"/> distinct
    /// approvals (default 1, at most <see cref="MaxMinApprovals"/>), and an expiry after
    /// <see cref="ApprovalsOptions.DefaultTtl"/>. Appends the audit record (<c>approval.request</c>)
    /// and the <c>approval.requested</c> event, and sends <c>NOTIFY ops_approvals</c> so every
    /// replica's expiry step learns the new expiry at commit.
    /// </summary>
    /// <exception cref="ArgumentException">No <see cref="IApprovalTarget"/> is registered for <paramref name="resourceType"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minApprovals"/> is outside 1–<see cref="MaxMinApprovals"/>.</exception>
    /// <exception cref="PostgresException">The resource already has a pending approval (unique violation): withdraw it first with <see cref="WithdrawAsync"/>.</exception>
    public async Task<ApprovalResponse> RequestAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string resourceType,
        string resourceId,
        object canonicalRequest,
        OperationRisk risk,
        int? minApprovals,
        Caller requester,
        CancellationToken cancellationToken)
    {
        if (!_targets.ContainsKey(resourceType))
        {
            throw new ArgumentException($"No approval target is registered for resource type '{resourceType}'.", nameof(resourceType));
        }

        var required = minApprovals ?? 1;
        ArgumentOutOfRangeException.ThrowIfLessThan(required, 1, nameof(minApprovals));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(required, MaxMinApprovals, nameof(minApprovals));

        var (canonical, hash) = HashOf(canonicalRequest);
        var now = Microseconds(timeProvider.GetUtcNow());
        var expiresAt = now + options.Value.DefaultTtl;
        var id = Guid.CreateVersion7(now);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approvals (id, resource_type, resource_id, request, request_hash, risk, status, min_approvals,
                                   requested_by, requested_role, requested_at, expires_at)
            VALUES (@id, @resourceType, @resourceId, @canonical, @hash, @risk, 'pending', @required, @by, @role, @now, @expiresAt);
            SELECT pg_notify('ops_approvals', @id::text);
            """,
            new { id, resourceType, resourceId, canonical, hash, risk = DbEnum.ToText(risk), required, by = requester.Subject, role = requester.Role, now, expiresAt },
            transaction,
            cancellationToken: cancellationToken));

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            requester.Subject, requester.Role, "approval.request", "approval", id.ToString(), requester.ClientAddress, requester.TraceId,
            new { resourceType, resourceId, requestHash = hash, risk, minApprovals = required, expiresAt }), cancellationToken);
        var approval = new ApprovalResponse(
            id, resourceType, resourceId, ApprovalStatus.Pending, risk, Parse(canonical), hash, requester.Subject, now, required, 0, expiresAt, null, null, []);
        await AppendEventAsync(connection, transaction, EventTypes.ApprovalRequested, approval, cancellationToken);
        return approval;
    }

    /// <summary>
    /// The latest <c>approved</c> approval of (<paramref name="resourceType"/>, <paramref name="resourceId"/>)
    /// whose hash is <paramref name="requestHash"/>, or <c>null</c>: "may this exact content run
    /// without a new approval?" (a schedule approved once runs its slots until its content changes,
    /// DESIGN.md §13; a changed content has another hash, so its old approval does not match).
    /// </summary>
    public async Task<ApprovalResponse?> FindApprovedAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string resourceType, string resourceId, string requestHash, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>(new CommandDefinition(
            $"""
            SELECT {ApprovalRow.Columns} FROM approvals
             WHERE resource_type = @resourceType AND resource_id = @resourceId AND request_hash = @requestHash AND status = 'approved'
             ORDER BY id DESC LIMIT 1
            """,
            new { resourceType, resourceId, requestHash }, transaction, cancellationToken: cancellationToken));
        return row is null ? null : (await ToResponsesAsync(connection, transaction, [row], cancellationToken))[0];
    }

    /// <summary>
    /// The approval that guards an operation (<paramref name="resourceType"/> <c>operation</c>) or a
    /// runbook run (<c>runbook_run</c>) <paramref name="id"/>, or <c>null</c>: its own latest
    /// approval (any status), else the schedule's approval that covered the slot which started it
    /// (<c>schedule_slots.approval_id</c>; such work has no approval of its own, DESIGN.md §13–14).
    /// </summary>
    public static Task<Guid?> GuardingIdAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string resourceType, Guid id, CancellationToken cancellationToken)
    {
        var slotColumn = resourceType switch
        {
            OperationApprovalTarget.Type => "operation_id",
            Runbooks.RunbookRunApprovalTarget.Type => "run_id",
            _ => throw new ArgumentOutOfRangeException(nameof(resourceType), resourceType, "only operations and runbook runs are started by schedule slots"),
        };
        return connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            $"""
            SELECT coalesce(
                     (SELECT a.id FROM approvals a WHERE a.resource_type = @resourceType AND a.resource_id = @resourceId ORDER BY a.id DESC LIMIT 1),
                     (SELECT sl.approval_id FROM schedule_slots sl WHERE sl.{slotColumn} = @id AND sl.approval_id IS NOT NULL LIMIT 1))
            """,
            new { resourceType, resourceId = id.ToString(), id }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Ends every pending approval of a resource <c>cancelled</c>, inside the caller's transaction,
    /// because its owner withdrew the request (the operation was cancelled, the schedule's content
    /// changed or it was deleted). Does not call the <see cref="IApprovalTarget"/>: the caller changes
    /// its own resource. Audit <c>approval.cancel</c> with <paramref name="reason"/>; event
    /// <c>approval.decided</c>. With <paramref name="includeApproved"/> an <c>approved</c> approval
    /// of the resource is voided the same way (<c>approved → cancelled</c>; its decisions are kept):
    /// a schedule's approval covers one content, and once that content is replaced it covers
    /// nothing (DESIGN.md §13: "until its content changes"). Returns how many were withdrawn.
    /// </summary>
    public async Task<int> WithdrawAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string resourceType,
        string resourceId,
        Caller actor,
        string reason,
        CancellationToken cancellationToken,
        bool includeApproved = false)
    {
        var now = Microseconds(timeProvider.GetUtcNow());
        var rows = (await connection.QueryAsync<ApprovalRow>(new CommandDefinition(
            $"""
            UPDATE approvals SET status = 'cancelled', decided_at = @now, decided_by = @by
             WHERE resource_type = @resourceType AND resource_id = @resourceId
               AND (status = 'pending' OR (@includeApproved AND status = 'approved'))
            RETURNING {ApprovalRow.Columns}
            """,
            new { resourceType, resourceId, now, by = actor.Subject, includeApproved }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var approval in await ToResponsesAsync(connection, transaction, rows, cancellationToken))
        {
            await audit.AppendAsync(connection, transaction, new AuditEntry(
                actor.Subject, actor.Role, "approval.cancel", "approval", approval.Id.ToString(), actor.ClientAddress, actor.TraceId,
                new { resourceType, resourceId, requestHash = approval.RequestHash, reason }), cancellationToken);
            await AppendEventAsync(connection, transaction, EventTypes.ApprovalDecided, approval, cancellationToken);
        }

        return rows.Count;
    }

    /// <summary>One approval with its decisions, or <c>null</c>.</summary>
    public async Task<ApprovalResponse?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>(new CommandDefinition(
            $"SELECT {ApprovalRow.Columns} FROM approvals WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : (await ToResponsesAsync(connection, null, [row], cancellationToken))[0];
    }

    /// <summary>One page of approvals, newest first, optionally filtered; <paramref name="before"/> is the keyset position (UUIDv7 ids).</summary>
    public async Task<IReadOnlyList<ApprovalResponse>> ListAsync(
        ApprovalStatus? status, string? resourceType, string? resourceId, Guid? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<ApprovalRow>(new CommandDefinition(
            $"""
            SELECT {ApprovalRow.Columns}
              FROM approvals
             WHERE (@status::text IS NULL OR status = @status)
               AND (@resourceType::text IS NULL OR resource_type = @resourceType)
               AND (@resourceId::text IS NULL OR resource_id = @resourceId)
               AND (@before::uuid IS NULL OR id < @before)
             ORDER BY id DESC
             LIMIT @limit
            """,
            new { status = status is null ? null : DbEnum.ToText(status.Value), resourceType, resourceId, before, limit },
            cancellationToken: cancellationToken))).ToList();
        return await ToResponsesAsync(connection, null, rows, cancellationToken);
    }

    /// <summary>
    /// Records <paramref name="caller"/>'s <paramref name="verdict"/> on approval <paramref name="id"/>
    /// (DESIGN.md §14), with the approval row locked: the requester never decides; destructive work
    /// is decided by admins, other work by operators; one person counts once; a rejection ends it
    /// <c>rejected</c>; the <c>minApprovals</c>-th distinct approval ends it <c>approved</c> and releases
    /// the resource through its <see cref="IApprovalTarget"/>, in this transaction. A request past
    /// its expiry is expired here (and the decision refused with 409), so it never waits for the
    /// background step.
    /// </summary>
    public async Task<DecideOutcome> DecideAsync(Guid id, ApprovalVerdict verdict, string? comment, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>(new CommandDefinition(
            $"SELECT {ApprovalRow.Columns} FROM approvals WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return new DecideOutcome.NotFound();
        }

        var now = Microseconds(timeProvider.GetUtcNow());
        var status = DbEnum.Parse<ApprovalStatus>(row.Status);
        if (status == ApprovalStatus.Pending && DbTime.Utc(row.ExpiresAt) <= now)
        {
            var expired = await FinishAsync(connection, transaction, row, ApprovalStatus.Expired, SystemActor, null, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            expired.Committed();
            return new DecideOutcome.Conflict("Approval expired", $"Approval {id} expired at {DbTime.Utc(row.ExpiresAt):O}; the request did not run. Ask for it again.");
        }

        if (status != ApprovalStatus.Pending)
        {
            return new DecideOutcome.Conflict(
                "Approval already decided",
                $"Approval {id} is already {DbEnum.ToText(status)}{(row.DecidedBy is null ? string.Empty : $" ({row.DecidedBy}, {DbTime.Utc(row.DecidedAt):O})")}; it cannot be decided again.");
        }

        if (string.Equals(row.RequestedBy, caller.Subject, StringComparison.Ordinal))
        {
            return new DecideOutcome.Forbidden(
                $"You ({caller.Subject}) requested this; four eyes means another person must decide it (DESIGN.md §14).");
        }

        var risk = DbEnum.Parse<OperationRisk>(row.Risk);
        var needed = risk == OperationRisk.Destructive ? Roles.Admin : Roles.Operator;
        if (!caller.HasRole(needed))
        {
            return new DecideOutcome.Forbidden(
                $"This request is {DbEnum.ToText(risk)}: deciding it needs the {needed} role, and you are {caller.Role ?? "without a role"}.");
        }

        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approval_decisions (approval_id, actor, actor_role, decision, comment, at)
            VALUES (@id, @actor, @role, @decision, @comment, @now)
            ON CONFLICT (approval_id, actor) DO NOTHING
            """,
            new { id, actor = caller.Subject, role = caller.Role, decision = DbEnum.ToText(verdict), comment, now },
            transaction,
            cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return new DecideOutcome.Conflict("Already decided by you", $"You ({caller.Subject}) already decided approval {id}; one person counts once.");
        }

        var approvals = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM approval_decisions WHERE approval_id = @id AND decision = 'approve'",
            new { id }, transaction, cancellationToken: cancellationToken));
        ApprovalTransition? finished = null;
        ApprovalResponse approval;
        if (verdict == ApprovalVerdict.Reject)
        {
            finished = await FinishAsync(connection, transaction, row, ApprovalStatus.Rejected, caller.Subject, comment, now, cancellationToken);
            approval = finished.Approval;
        }
        else if (approvals >= row.MinApprovals)
        {
            finished = await FinishAsync(connection, transaction, row, ApprovalStatus.Approved, caller.Subject, comment, now, cancellationToken);
            approval = finished.Approval;
        }
        else
        {
            approval = (await ToResponsesAsync(connection, transaction, [row], cancellationToken))[0];
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, verdict == ApprovalVerdict.Approve ? "approval.approve" : "approval.reject", "approval", id.ToString(),
            caller.ClientAddress, caller.TraceId,
            new
            {
                resourceType = row.ResourceType,
                resourceId = row.ResourceId,
                requestHash = row.RequestHash,
                comment,
                status = approval.Status,
                approvals,
                minApprovals = row.MinApprovals,
            }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        finished?.Committed();
        ApprovalsLog.Decided(logger, id, row.ResourceType, row.ResourceId, DbEnum.ToText(verdict), caller.Subject, DbEnum.ToText(approval.Status));
        return new DecideOutcome.Decided(approval);
    }

    /// <summary>
    /// Expires pending approvals whose <c>expiresAt</c> has passed, one transaction each, claimed with
    /// <c>FOR UPDATE SKIP LOCKED</c> (safe with several replicas). Returns how many this call expired
    /// and whether due approvals remain that another transaction holds (a decision or another
    /// replica's pass in flight), as of <c>CheckedAt</c>, the time of the last look.
    /// </summary>
    public async Task<(int Expired, bool HeldElsewhere, DateTimeOffset CheckedAt)> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            var now = Microseconds(timeProvider.GetUtcNow());
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>(new CommandDefinition(
                $"""
                SELECT {ApprovalRow.Columns} FROM approvals
                 WHERE status = 'pending' AND expires_at <= @now
                 ORDER BY expires_at
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED
                """,
                new { now }, transaction, cancellationToken: cancellationToken));
            if (row is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                var held = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM approvals WHERE status = 'pending' AND expires_at <= @now)",
                    new { now }, cancellationToken: cancellationToken));
                return (count, held, now);
            }

            var expired = await FinishAsync(connection, transaction, row, ApprovalStatus.Expired, SystemActor, null, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            expired.Committed();
            count++;
        }
    }

    /// <summary>The earliest <c>expiresAt</c> after <paramref name="after"/> of a pending approval, or <c>null</c> when there is none.</summary>
    public async Task<DateTimeOffset?> NextExpiryAsync(DateTimeOffset after, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT min(expires_at) FROM approvals WHERE status = 'pending' AND expires_at > @after", new { after }, cancellationToken: cancellationToken));
        return DbTime.Utc(next);
    }

    /// <summary>Writes the final <paramref name="status"/>, calls the resource's target, and appends the expiry audit record and the <c>approval.decided</c> event.</summary>
    private async Task<ApprovalTransition> FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ApprovalRow row, ApprovalStatus status, string actor, string? comment, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var target = _targets.TryGetValue(row.ResourceType, out var t)
            ? t
            : throw new InvalidOperationException($"No approval target is registered for resource type '{row.ResourceType}' (approval {row.Id}).");
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE approvals SET status = @status, decided_at = @now, decided_by = @actor WHERE id = @id",
            new { id = row.Id, status = DbEnum.ToText(status), now, actor }, transaction, cancellationToken: cancellationToken));
        row.Status = DbEnum.ToText(status);
        row.DecidedAt = now.UtcDateTime;
        row.DecidedBy = actor;
        var approval = (await ToResponsesAsync(connection, transaction, [row], cancellationToken))[0];
        var transition = new ApprovalTransition(connection, transaction, approval, actor, comment, now);
        switch (status)
        {
            case ApprovalStatus.Approved:
                await target.ReleaseAsync(transition, cancellationToken);
                break;
            case ApprovalStatus.Rejected:
                await target.RejectAsync(transition, cancellationToken);
                break;
            case ApprovalStatus.Expired:
                await target.ExpireAsync(transition, cancellationToken);
                await audit.AppendAsync(connection, transaction, new AuditEntry(
                    SystemActor, null, "approval.expire", "approval", row.Id.ToString(), null, null,
                    new { resourceType = row.ResourceType, resourceId = row.ResourceId, requestHash = row.RequestHash, expiresAt = approval.ExpiresAt, approvals = approval.Approvals, minApprovals = row.MinApprovals }),
                    cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(status), status, "Not a final status reached by a decision or an expiry.");
        }

        await AppendEventAsync(connection, transaction, EventTypes.ApprovalDecided, approval, cancellationToken);
        return transition;
    }

    private Task<long> AppendEventAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string type, ApprovalResponse approval, CancellationToken cancellationToken) =>
        events.AppendAsync(connection, transaction, type, "approval", approval.Id.ToString(), new
        {
            id = approval.Id,
            resourceType = approval.ResourceType,
            resourceId = approval.ResourceId,
            requestHash = approval.RequestHash,
            status = approval.Status,
            requestedBy = approval.RequestedBy,
        }, cancellationToken);

    private static async Task<IReadOnlyList<ApprovalResponse>> ToResponsesAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<ApprovalRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var decisions = (await connection.QueryAsync<ApprovalDecisionRow>(new CommandDefinition(
                $"SELECT {ApprovalDecisionRow.Columns} FROM approval_decisions WHERE approval_id = ANY(@ids) ORDER BY at, actor",
                new { ids = rows.Select(r => r.Id).ToArray() }, transaction, cancellationToken: cancellationToken)))
            .ToLookup(d => d.ApprovalId);
        return rows.Select(r =>
        {
            var mine = decisions[r.Id]
                .Select(d => new ApprovalDecisionResponse(d.Actor, d.ActorRole, DbEnum.Parse<ApprovalVerdict>(d.Decision), d.Comment, DbTime.Utc(d.At)))
                .ToList();
            return new ApprovalResponse(
                r.Id,
                r.ResourceType,
                r.ResourceId,
                DbEnum.Parse<ApprovalStatus>(r.Status),
                DbEnum.Parse<OperationRisk>(r.Risk),
                Parse(r.Request),
                r.RequestHash,
                r.RequestedBy,
                DbTime.Utc(r.RequestedAt),
                r.MinApprovals,
                mine.Count(d => d.Decision == ApprovalVerdict.Approve),
                DbTime.Utc(r.ExpiresAt),
                DbTime.Utc(r.DecidedAt),
                r.DecidedBy,
                mine);
        }).ToList();
    }

    private static JsonElement Parse(string json) => DbJson.Parse(json);

    private static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);
}
