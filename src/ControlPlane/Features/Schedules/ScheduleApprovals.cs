using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Approvals;
using Ops.ControlPlane.Features.Locks;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Approvals of schedules (DESIGN.md §13, §14; docs/schedules.md "Approval"). A schedule whose
/// action needs an approval (an operation of a destructive kind; a runbook that declares
/// <c>approval</c> or has a destructive step) is approved once for its content, when it is saved:
/// <see cref="SyncAsync"/>, in the PUT's transaction, asks for an approval of resource type
/// <c>schedule</c> whose request is exactly what its slots will run, and points
/// <c>schedules.approval_id</c> at it. Its slots then run without a new approval while that
/// approval is <c>approved</c> and the schedule's content still hashes to it
/// (<see cref="EvaluateAsync"/>, at each slot); a changed content withdraws the old approval
/// (pending or approved: it ends <c>cancelled</c>) and asks for a new one.
/// <para>The hashed request (canonical JSON, <see cref="CanonicalJson"/>) is
/// <c>{schedule, cron, timeZone, overlap, catchupWindowSeconds, jitterSeconds, locks, operation, agents, runbook}</c>:
/// <c>operation</c> = <c>{kind, parameters, target, timeoutSeconds, priority, rollout, locks, lockTimeoutSeconds}</c>
/// with the defaults resolved, <c>agents</c> = the agents the target resolved to on save, with their
/// hostnames, sorted by id (frozen: every slot runs on exactly these, an agent enrolled later is not
/// added); <c>runbook</c> = <c>{name, version, document, parameters}</c> (the latest version on save,
/// its whole document and the parameters with the defaults applied). The description is not part of
/// it (it does not change what runs).</para>
/// </summary>
internal sealed class ScheduleApprovals(ApprovalStore approvals, IScheduleRunbookStarter runbooks, TimeProvider timeProvider)
{
    /// <summary>The resource type of schedules in <c>approvals.resource_type</c>; the resource id is the schedule's id.</summary>
    public const string Type = "schedule";

    /// <summary>One agent a destructive schedule's target resolved to on save.</summary>
    internal sealed record FrozenAgent(Guid Id, string Hostname);

    /// <summary>What a slot may do (<see cref="EvaluateAsync"/>).</summary>
    internal abstract record SlotApproval
    {
        private SlotApproval()
        {
        }

        /// <summary>The action needs no approval: the slot starts it as usual.</summary>
        public sealed record NotNeeded : SlotApproval;

        /// <summary>Approved for exactly this content: the slot runs without a new approval, on <see cref="Agents"/> (operations) or <see cref="RunbookVersion"/> (runbooks).</summary>
        public sealed record Covered(Guid ApprovalId, IReadOnlyList<FrozenAgent> Agents, int? RunbookVersion) : SlotApproval;

        /// <summary>Not approved (pending, rejected, expired, void, or none): the slot does not run; <see cref="Reason"/> says why.</summary>
        public sealed record Blocked(Guid? ApprovalId, string Reason) : SlotApproval;
    }

    /// <summary>
    /// Brings the approval of <paramref name="schedule"/> (as just written, in <paramref name="transaction"/>)
    /// in line with its content: when its action needs no approval, a former approval is withdrawn and
    /// <c>approval_id</c> cleared; when it needs one and the current approval (pending or approved)
    /// has the same request hash, it is kept (an identical PUT, a pause, a description change);
    /// otherwise the old one is withdrawn and a new one requested by <paramref name="caller"/> (the
    /// schedule's last editor, who therefore cannot decide it). Returns errors keyed by field path
    /// (<c>operation.target.labels</c>: the target resolves to no agent to freeze) for a 400, in
    /// which case the caller rolls back; otherwise an empty dictionary.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string[]>> SyncAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, Caller caller, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        object? request = null;
        var risk = OperationRisk.Destructive;
        int? minApprovals = null;
        if (schedule.Operation is not null)
        {
            var operation = ReadOperation(schedule);
            if (operation is not null && OperationKindCatalog.TryGet(operation.Kind, out var kind) && OperationApprovals.Required(kind))
            {
                var agents = await ResolveAgentsAsync(connection, transaction, operation.Target ?? new OperationTarget(), kind.Name, errors, cancellationToken);
                if (errors.Count > 0)
                {
                    return errors;
                }

                request = Canonical(schedule, Operation(schedule, operation, kind), agents, null);
                risk = kind.Risk;
            }
        }
        else if (schedule.Runbook is not null)
        {
            var plan = await runbooks.PlanAsync(schedule.Runbook, Parameters(schedule), cancellationToken);
            if (plan.Error is { } error)
            {
                errors["runbook"] = [error];
                return errors;
            }

            if (plan.NeedsApproval)
            {
                request = Canonical(schedule, null, null, plan);
                (risk, minApprovals) = (plan.Risk, plan.MinApprovals);
            }
        }

        var current = schedule.ApprovalId is { } currentId ? await ReadAsync(connection, transaction, currentId, cancellationToken) : null;
        if (request is null)
        {
            if (schedule.ApprovalId is not null)
            {
                await approvals.WithdrawAsync(connection, transaction, Type, schedule.Id.ToString(), caller,
                    $"schedule '{schedule.Name}' version {schedule.Version} needs no approval any more", cancellationToken, includeApproved: true);
                await SetApprovalAsync(connection, transaction, schedule.Id, null, cancellationToken);
            }

            return errors;
        }

        var (_, hash) = ApprovalStore.HashOf(request);
        if (current is not null && current.RequestHash == hash && current.Status is "pending" or "approved")
        {
            return errors;
        }

        await approvals.WithdrawAsync(connection, transaction, Type, schedule.Id.ToString(), caller,
            $"the content of schedule '{schedule.Name}' changed (version {schedule.Version}): this approval does not cover it", cancellationToken, includeApproved: true);
        var approval = await approvals.RequestAsync(
            connection, transaction, Type, schedule.Id.ToString(), request, risk, minApprovals, caller, cancellationToken);
        await SetApprovalAsync(connection, transaction, schedule.Id, approval.Id, cancellationToken);
        return errors;
    }

    /// <summary>
    /// Withdraws the schedule's approval (pending or approved) because the schedule is deleted, in the
    /// delete's transaction.
    /// </summary>
    public Task<int> WithdrawAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, Caller caller, CancellationToken cancellationToken) =>
        schedule.ApprovalId is null
            ? Task.FromResult(0)
            : approvals.WithdrawAsync(connection, transaction, Type, schedule.Id.ToString(), caller,
                $"schedule '{schedule.Name}' was deleted", cancellationToken, includeApproved: true);

    /// <summary>
    /// At a slot, inside its transaction: whether its action needs an approval, and if so whether
    /// the schedule's approval is <c>approved</c> and still covers exactly what would run now (the
    /// request rebuilt from the stored content, the agents frozen in the approval and, for a runbook,
    /// its latest version: a new runbook version is not covered). <see cref="SlotApproval.Blocked"/>
    /// says why not, in words a person can act on.
    /// </summary>
    public async Task<SlotApproval> EvaluateAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ScheduleRow schedule, CancellationToken cancellationToken)
    {
        CreateOperationRequest? operation = null;
        OperationKind? kind = null;
        ScheduleRunbookPlan? plan = null;
        if (schedule.Operation is not null)
        {
            operation = ReadOperation(schedule);
            if (operation is null || !OperationKindCatalog.TryGet(operation.Kind, out var found) || !OperationApprovals.Required(found))
            {
                return new SlotApproval.NotNeeded();
            }

            kind = found;
        }
        else if (schedule.Runbook is not null)
        {
            plan = await runbooks.PlanAsync(schedule.Runbook, Parameters(schedule), cancellationToken);
            if (plan.Error is not null || !plan.NeedsApproval)
            {
                // An unknown runbook or invalid parameters fail the slot with their own error when it starts.
                return new SlotApproval.NotNeeded();
            }
        }
        else
        {
            return new SlotApproval.NotNeeded();
        }

        if (schedule.ApprovalId is not { } approvalId || await ReadAsync(connection, transaction, approvalId, cancellationToken) is not { } approval)
        {
            return new SlotApproval.Blocked(null,
                $"not started: schedule '{schedule.Name}' needs an approval and has none (saved before approvals applied to it, or its runbook started needing one); save it again (PUT) to request one");
        }

        switch (approval.Status)
        {
            case "pending" when DbTime.Utc(approval.ExpiresAt) <= timeProvider.GetUtcNow():
                // Past its expiry, before the expiry step ended it: as good as expired.
                return new SlotApproval.Blocked(approvalId,
                    $"not started: approval {approvalId} of this schedule expired at {DbTime.Utc(approval.ExpiresAt):O} without enough approvals; save it again (PUT) to request a new one");
            case "pending":
                return new SlotApproval.Blocked(approvalId,
                    $"not started: approval {approvalId} of this schedule is pending ({approval.Approvals} of {approval.MinApprovals}); " +
                    $"{(approval.Risk == "destructive" ? "an admin" : "an operator")} other than {approval.RequestedBy} must approve it (expires {DbTime.Utc(approval.ExpiresAt):O})");
            case "rejected":
                return new SlotApproval.Blocked(approvalId,
                    $"not started: approval {approvalId} of this schedule was rejected by {approval.DecidedBy}; change the schedule or save it again (PUT) to request a new approval");
            case "expired":
                return new SlotApproval.Blocked(approvalId,
                    $"not started: approval {approvalId} of this schedule expired at {DbTime.Utc(approval.ExpiresAt):O} without enough approvals; save it again (PUT) to request a new one");
            case not "approved":
                return new SlotApproval.Blocked(approvalId,
                    $"not started: approval {approvalId} of this schedule is {approval.Status}; save it again (PUT) to request a new one");
        }

        var agents = FrozenAgents(approval.Request);
        var request = operation is not null
            ? Canonical(schedule, Operation(schedule, operation, kind!), agents, null)
            : Canonical(schedule, null, null, plan);
        var (_, hash) = ApprovalStore.HashOf(request);
        if (hash != approval.RequestHash)
        {
            var what = plan is not null ? $" (runbook '{schedule.Runbook}' is now version {plan.Version})" : string.Empty;
            return new SlotApproval.Blocked(approvalId,
                $"not started: approval {approvalId} covers other content than what would run now{what}; save the schedule again (PUT) to request an approval of it");
        }

        return new SlotApproval.Covered(approvalId, agents, plan?.Version);
    }

    /// <summary>The stored operation of an operation schedule, or <c>null</c> when it cannot be read.</summary>
    public static CreateOperationRequest? ReadOperation(ScheduleRow schedule)
    {
        try
        {
            return schedule.Operation is null ? null : JsonSerializer.Deserialize<CreateOperationRequest>(schedule.Operation, OpsJson.Default);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The canonical request of a schedule (see the class summary); exactly one of <paramref name="operation"/> and <paramref name="runbook"/> is given.</summary>
    private static object Canonical(ScheduleRow schedule, object? operation, IReadOnlyList<FrozenAgent>? agents, ScheduleRunbookPlan? runbook) => new
    {
        schedule = schedule.Name,
        cron = schedule.Cron,
        timeZone = schedule.TimeZone,
        overlap = schedule.Overlap,
        catchupWindowSeconds = schedule.CatchupWindowSeconds,
        jitterSeconds = schedule.JitterSeconds,
        locks = schedule.Locks,
        operation,
        agents = agents?.OrderBy(a => a.Id).Select(a => new { id = a.Id, hostname = a.Hostname }).ToList(),
        runbook = runbook is null
            ? null
            : new { name = schedule.Runbook, version = runbook.Version, document = runbook.Document, parameters = runbook.Parameters },
    };

    /// <summary>An operation as each slot submits it, its defaults resolved (the kind's timeout, priority 50, lock timeout 3600 s).</summary>
    private static object Operation(ScheduleRow schedule, CreateOperationRequest operation, OperationKind kind) => new
    {
        kind = kind.Name,
        parameters = operation.Parameters is { ValueKind: JsonValueKind.Object } p ? p : JsonDocument.Parse("{}").RootElement,
        target = operation.Target,
        timeoutSeconds = operation.TimeoutSeconds ?? (int)kind.DefaultTimeout.TotalSeconds,
        priority = operation.Priority ?? CreateOperationRequestValidator.DefaultPriority,
        rollout = operation.Rollout,
        locks = (operation.Locks ?? []).Concat(schedule.Locks).Distinct(StringComparer.Ordinal).ToList(),
        lockTimeoutSeconds = operation.LockTimeoutSeconds ?? LockKeys.DefaultTimeoutSeconds,
    };

    private static JsonElement? Parameters(ScheduleRow schedule) => schedule.Parameters is null ? null : DbJson.Parse(schedule.Parameters);

    private static IReadOnlyList<FrozenAgent> FrozenAgents(string request)
    {
        var root = DbJson.Parse(request);
        return root.TryGetProperty("agents", out var agents) && agents.ValueKind == JsonValueKind.Array
            ? agents.EnumerateArray().Select(a => new FrozenAgent(a.GetProperty("id").GetGuid(), a.GetProperty("hostname").GetString() ?? string.Empty)).ToList()
            : [];
    }

    /// <summary>
    /// The agents <paramref name="target"/> resolves to now, by the rules of <c>POST /api/v1/operations</c>
    /// (DESIGN.md §1): explicit ids must exist, not be revoked and run the kind; labels and <c>all</c>
    /// select the unrevoked agents that run the kind. Errors are keyed <c>operation.target.*</c>.
    /// </summary>
    private static async Task<IReadOnlyList<FrozenAgent>> ResolveAgentsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, OperationTarget target, string kind, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (target.AgentIds is { } ids)
        {
            var found = (await connection.QueryAsync<(Guid Id, string Hostname, bool Revoked, string[] Capabilities)>(new CommandDefinition(
                "SELECT id, hostname, revoked_at IS NOT NULL, capabilities FROM agents WHERE id = ANY(@ids)",
                new { ids = ids.ToArray() }, transaction, cancellationToken: cancellationToken))).ToDictionary(a => a.Id);
            var problems = new List<string>();
            foreach (var id in ids.Distinct())
            {
                if (!found.TryGetValue(id, out var agent))
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
                errors["operation.target.agentIds"] = problems.ToArray();
                return [];
            }

            return ids.Distinct().Select(id => new FrozenAgent(id, found[id].Hostname)).ToList();
        }

        var labels = target.Labels is null ? null : JsonSerializer.Serialize(target.Labels);
        var matched = (await connection.QueryAsync<(Guid Id, string Hostname, bool Capable)>(new CommandDefinition(
            """
            SELECT id, hostname, @kind = ANY(capabilities)
              FROM agents
             WHERE revoked_at IS NULL AND (@labels::jsonb IS NULL OR labels @> @labels::jsonb)
             ORDER BY id
            """,
            new { kind, labels }, transaction, cancellationToken: cancellationToken))).ToList();
        var capable = matched.Where(m => m.Capable).Select(m => new FrozenAgent(m.Id, m.Hostname)).ToList();
        var field = target.Labels is null ? "operation.target.all" : "operation.target.labels";
        if (matched.Count == 0)
        {
            errors[field] = [(target.Labels is null ? "No enrolled agent" : "No enrolled agent matches these labels") +
                ": a schedule of destructive work is approved for the agents its target resolves to on save, so it needs at least one."];
        }
        else if (capable.Count == 0)
        {
            errors[field] = [$"{matched.Count} agent(s) match, but none runs '{kind}' (their policies do not enable it)."];
        }
        else if (capable.Count > OperationStore.MaxJobsPerOperation)
        {
            errors[field] = [$"The target matches {capable.Count} agents; one operation may fan out to at most {OperationStore.MaxJobsPerOperation}."];
        }

        return capable;
    }

    private static Task<ApprovalState?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ApprovalState>(new CommandDefinition(
            """
            SELECT a.status, a.request, a.request_hash, a.risk, a.requested_by, a.min_approvals, a.expires_at, a.decided_by,
                   (SELECT count(*)::int FROM approval_decisions d WHERE d.approval_id = a.id AND d.decision = 'approve') AS approvals
              FROM approvals a WHERE a.id = @id
            """,
            new { id }, transaction, cancellationToken: cancellationToken));

    private static Task SetApprovalAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid scheduleId, Guid? approvalId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedules SET approval_id = @approvalId WHERE id = @scheduleId",
            new { scheduleId, approvalId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The columns of an approval a slot needs.</summary>
    private sealed class ApprovalState
    {
        public string Status { get; set; } = string.Empty;
        public string Request { get; set; } = "{}";
        public string RequestHash { get; set; } = string.Empty;
        public string Risk { get; set; } = string.Empty;
        public string RequestedBy { get; set; } = string.Empty;
        public int MinApprovals { get; set; }
        public DateTime ExpiresAt { get; set; }
        public string? DecidedBy { get; set; }
        public int Approvals { get; set; }
    }
}
