using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.Contracts.Kinds;
using Ops.Contracts.Runbooks;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// The runbook engine (DESIGN.md §12). A run's whole state is in PostgreSQL (<c>runbook_runs</c>,
/// <c>runbook_run_steps</c>, its operations); the engine advances it under the run's row lock
/// (<c>FOR UPDATE</c>), so one replica at a time drives a run, and every decision commits with
/// its effects. It is woken by <c>NOTIFY ops_runbooks</c> (<see cref="RunbookWakeups"/>): an operation
/// of the run ended, a gated batch finished, a lock was granted, a cancel. At start and after a
/// reconnect it rescans every active run, so a run resumes after a restart exactly where it was.
/// Steps run in order, one operation each; health gates run after each batch; <c>onFailure</c>
/// decides between abort, continue and rollback; <c>finally</c> steps always run.
/// </summary>
internal sealed class RunbookEngine(
    NpgsqlDataSource dataSource,
    OperationStore operations,
    AuditWriter audit,
    EventWriter events,
    RunbookWakeups wakeups,
    TimeProvider timeProvider,
    ILogger<RunbookEngine> logger) : BackgroundService
{
    private static readonly Counter<long> RunsFinished =
        OpsTelemetry.Meter.CreateCounter<long>("ops.runbook_runs.finished", "{run}", "Runbook runs that ended, tagged by runbook and status.");

    /// <summary>The actor of the engine's own audit records.</summary>
    public const string Actor = "system:runbook-engine";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = wakeups.Subscribe();
            try
            {
                var (runs, rescan) = wakeups.Take();
                IEnumerable<Guid> todo = runs;
                if (rescan)
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    todo = runs.Union(await connection.QueryAsync<Guid>(new CommandDefinition(
                        "SELECT id FROM runbook_runs WHERE status IN ('waiting', 'running') ORDER BY id", cancellationToken: stoppingToken)));
                }

                foreach (var runId in todo)
                {
                    try
                    {
                        await AdvanceAsync(runId, stoppingToken);
                    }
                    catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or JsonException)
                    {
                        RunbookLog.AdvanceFailed(logger, ex, runId);
                        await Task.Delay(TimeSpan.FromMilliseconds(200), timeProvider, stoppingToken);
                        wakeups.Touch(runId);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                RunbookLog.AdvanceFailed(logger, ex, Guid.Empty);
                wakeups.Reconnected();
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            await wake.WaitAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Starts a run that is <c>waiting</c> (just created) or <c>pending_approval</c> (approved), inside
    /// the caller's transaction: it takes the run's locks (all or none, FIFO) and becomes
    /// <c>running</c>, or queues behind the holder and stays <c>waiting</c> (with <c>waitingOn</c>).
    /// Returns whether it is running. The engine then advances it after the commit.
    /// </summary>
    public async Task<bool> StartRunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var run = await connection.QuerySingleOrDefaultAsync<(string Status, string[] Locks, int LockTimeoutSeconds)?>(new CommandDefinition(
            "SELECT status, locks, lock_timeout_seconds FROM runbook_runs WHERE id = @runId FOR UPDATE",
            new { runId }, transaction, cancellationToken: cancellationToken));
        if (run is not { Status: "waiting" or "pending_approval" } r)
        {
            return false;
        }

        var acquired = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT lock_try_acquire('runbook_run', @runId, @locks, @now, @now + make_interval(secs => @timeout))",
            new { runId, locks = r.Locks, now, timeout = r.LockTimeoutSeconds }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE runbook_runs SET status = CASE WHEN @acquired THEN 'running' ELSE 'waiting' END,
                                    started_at = CASE WHEN @acquired THEN @now END, updated_at = @now
             WHERE id = @runId;
            SELECT pg_notify('ops_runbooks', @runId::text);
            """,
            new { runId, acquired, now }, transaction, cancellationToken: cancellationToken));
        return acquired;
    }

    /// <summary>Advances one run as far as it can go now, in one transaction under its row lock.</summary>
    public async Task AdvanceAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var run = await connection.QuerySingleOrDefaultAsync<RunState>(new CommandDefinition(
            "SELECT id, runbook, version, status, phase, outcome, error, parameters::text AS parameters, requested_by FROM runbook_runs WHERE id = @runId FOR UPDATE",
            new { runId }, transaction, cancellationToken: cancellationToken));
        if (run is null || run.Status != "running")
        {
            return;
        }

        var runbook = await RunbookStore.GetAsync(connection, run.Runbook, run.Version, cancellationToken, transaction)
            ?? throw new InvalidOperationException($"Run {runId} names a missing runbook version.");
        var document = RunbookStore.Document(runbook);
        var definitions = Phases(document).ToDictionary(p => p.Phase, p => p.Steps, StringComparer.Ordinal);
        var steps = (await connection.QueryAsync<StepState>(new CommandDefinition(
            """
            SELECT phase, position, name, status, operation_id, started_at, finished_at, error, gates::text AS gates
              FROM runbook_run_steps WHERE run_id = @runId
             ORDER BY CASE phase WHEN 'main' THEN 0 WHEN 'rollback' THEN 1 ELSE 2 END, position
            """,
            new { runId }, transaction, cancellationToken: cancellationToken))).ToList();
        var values = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(run.Parameters) ?? [];

        for (var guard = 0; guard < 1000; guard++)
        {
            var current = steps.FirstOrDefault(s => s.Phase == run.Phase && s.Status is "pending" or "running");
            if (current is null)
            {
                if (run.Phase == "finally")
                {
                    await FinishAsync(connection, transaction, runId, run.Outcome ?? "succeeded", run.Error, cancellationToken);
                    break;
                }

                if (run.Phase == "main")
                {
                    run.Outcome ??= "succeeded";
                }

                run.Phase = "finally";
                await SaveRunAsync(connection, transaction, run, cancellationToken);
                continue;
            }

            var definition = definitions[current.Phase][current.Position];
            if (current.Status == "pending")
            {
                var error = await StartStepAsync(connection, transaction, run, current, definition, steps, values, cancellationToken);
                if (error is not null)
                {
                    await FailStepAsync(connection, transaction, run, current, definition, steps, error, cancellationToken);
                }

                continue;
            }

            var outcome = await EvaluateAsync(connection, transaction, run, current, definition, steps, values, cancellationToken);
            if (outcome is null)
            {
                break;
            }

            if (outcome.Value.Succeeded)
            {
                current.Status = "succeeded";
                current.FinishedAt = timeProvider.GetUtcNow().UtcDateTime;
                await SaveStepAsync(connection, transaction, runId, current, cancellationToken);
                RunbookLog.Step(logger, runId, current.Name, current.Phase, current.Status);
            }
            else
            {
                await FailStepAsync(connection, transaction, run, current, definition, steps, outcome.Value.Error!, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Ends a run with <paramref name="status"/> inside the caller's transaction: steps that never
    /// ran become <c>skipped</c>, the run's locks are released (trigger), the
    /// <c>runbook_run.succeeded|failed|rolled_back</c> event is written (a cancelled run writes
    /// the internal <c>runbook_run.cancelled</c>), and the audit log records it.
    /// </summary>
    public async Task FinishAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, string status, string? error, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var run = await connection.QuerySingleAsync<(string Runbook, int Version, string RequestedBy)>(new CommandDefinition(
            """
            UPDATE runbook_run_steps SET status = 'skipped', error = coalesce(error, 'not reached') WHERE run_id = @runId AND status = 'pending';
            UPDATE runbook_runs SET status = @status, outcome = @status, finished_at = @now, updated_at = @now, error = coalesce(error, @error)
             WHERE id = @runId
            RETURNING runbook, version, requested_by;
            """,
            new { runId, status, now, error }, transaction, cancellationToken: cancellationToken));
        var type = status switch
        {
            "succeeded" => EventTypes.RunbookRunSucceeded,
            "rolled_back" => EventTypes.RunbookRunRolledBack,
            "cancelled" => "runbook_run.cancelled",
            _ => EventTypes.RunbookRunFailed,
        };
        await events.AppendAsync(connection, transaction, type, "runbook_run", runId.ToString(),
            new { id = runId, runbook = run.Runbook, version = run.Version, status, requestedBy = run.RequestedBy }, cancellationToken);
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            Actor, null, "runbook_run.finish", "runbook_run", runId.ToString(), null, null, new { run.Runbook, run.Version, status, error }), cancellationToken);
        RunsFinished.Add(1, new KeyValuePair<string, object?>("runbook", run.Runbook), new KeyValuePair<string, object?>("status", status));
        RunbookLog.Finished(logger, runId, run.Runbook, status);
    }

    /// <summary>The phases of a document in run order, with the names the API uses: <c>main</c>, <c>rollback</c>, <c>finally</c>.</summary>
    public static IEnumerable<(string Phase, IReadOnlyList<RunbookStep> Steps)> Phases(RunbookDocument document) =>
    [
        ("main", document.Steps ?? []), ("rollback", document.Rollback ?? []), ("finally", document.Finally ?? []),
    ];

    /// <summary>
    /// The run-time resolver of <c>${…}</c> references: <paramref name="values"/> for
    /// <c>params.*</c>, <paramref name="step"/> for <c>steps.*</c> (<c>null</c>: the step has not run),
    /// and the run's id and requester.
    /// </summary>
    public static RunbookReferences.Resolver Resolver(
        IReadOnlyDictionary<string, JsonElement> values, Guid runId, string requestedBy, Func<string, StepValue?> step) =>
        (RunbookReference reference, out JsonNode? value, out string? error, out bool placeholder) =>
        {
            placeholder = false;
            value = null;
            error = null;
            switch (reference.Kind)
            {
                case RunbookReferenceKind.Parameter when values.TryGetValue(reference.Name!, out var given):
                    value = JsonNode.Parse(given.GetRawText());
                    return true;
                case RunbookReferenceKind.Parameter:
                    error = $"{reference.Text} resolves to nothing: the run has no value for parameter '{reference.Name}'.";
                    return false;
                case RunbookReferenceKind.RunId:
                    value = JsonValue.Create(runId.ToString());
                    return true;
                case RunbookReferenceKind.RunRequestedBy:
                    value = JsonValue.Create(requestedBy);
                    return true;
                case RunbookReferenceKind.StepStatus or RunbookReferenceKind.StepResult:
                    var state = step(reference.Name!);
                    if (state is null)
                    {
                        error = $"{reference.Text} resolves to nothing: step {reference.Name} has not run.";
                        return false;
                    }

                    if (reference.Kind == RunbookReferenceKind.StepStatus)
                    {
                        value = JsonValue.Create(state.Status);
                        return true;
                    }

                    if (state.Jobs != 1)
                    {
                        error = $"{reference.Text} resolves to nothing: step {reference.Name} ran on {state.Jobs} agents; a result reference needs exactly one.";
                        return false;
                    }

                    var node = state.Result;
                    foreach (var segment in reference.Path)
                    {
                        node = node switch
                        {
                            JsonObject obj when obj.TryGetPropertyValue(segment, out var child) => child,
                            JsonArray array when int.TryParse(segment, out var index) && index >= 0 && index < array.Count => array[index],
                            _ => null,
                        };
                        if (node is null)
                        {
                            break;
                        }
                    }

                    if (node is null)
                    {
                        error = $"{reference.Text} resolves to nothing: the result of step {reference.Name} has no {string.Join('.', reference.Path)}.";
                        return false;
                    }

                    value = node;
                    return true;
                default:
                    error = $"{reference.Text} is not a reference this engine resolves.";
                    return false;
            }
        };

    private async Task<string?> StartStepAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RunState run, StepState current, RunbookStep definition,
        IReadOnlyList<StepState> steps, IReadOnlyDictionary<string, JsonElement> values, CancellationToken cancellationToken)
    {
        var resolver = await ResolverAsync(connection, transaction, run, steps, values, cancellationToken);
        var kind = OperationKindCatalog.TryGet(definition.Kind, out var k) ? k : throw new InvalidOperationException("validated on save");
        var (parameters, error) = ResolveParameters(kind, definition.Parameters, "parameters", resolver);
        if (error is not null)
        {
            return error;
        }

        var request = new CreateOperationRequest(
            kind.Name, parameters, ToTarget(definition.Target!), definition.TimeoutSeconds, definition.Priority, definition.Rollout);
        var inserted = await operations.InsertAsync(
            connection, transaction, request, kind, run.RequestedBy, null, null,
            new OperationLink(run.Id, current.Name, definition.HealthGate is not null && definition.Rollout is not null), cancellationToken);
        if (inserted.Operation is null)
        {
            return "its target matches no agent that can run it: " + string.Join(" ", inserted.Errors.SelectMany(e => e.Value));
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            run.RequestedBy, null, "operation.create", "operation", inserted.Operation.Id.ToString(), null, null,
            new { kind = kind.Name, target = request.Target, jobs = inserted.AgentIds.Count, runId = run.Id, step = current.Name }), cancellationToken);
        current.Status = "running";
        current.OperationId = inserted.Operation.Id;
        current.StartedAt = timeProvider.GetUtcNow().UtcDateTime;
        await SaveStepAsync(connection, transaction, run.Id, current, cancellationToken);
        RunbookLog.Step(logger, run.Id, current.Name, current.Phase, current.Status);
        return null;
    }

    /// <summary>The step's outcome once known: <c>null</c> while it runs (or its gate does).</summary>
    private async Task<(bool Succeeded, string? Error)?> EvaluateAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RunState run, StepState current, RunbookStep definition,
        IReadOnlyList<StepState> steps, IReadOnlyDictionary<string, JsonElement> values, CancellationToken cancellationToken)
    {
        var operationId = current.OperationId!.Value;
        var op = await connection.QuerySingleAsync<OperationState>(new CommandDefinition(
            """
            SELECT status, operation_is_terminal(status) AS terminal, rollout_batch_size IS NOT NULL AS has_rollout, rollout_batch, rollout_stopped,
                   cancel_requested_at IS NOT NULL AS cancelled,
                   (SELECT count(*)::integer FROM jobs WHERE operation_id = o.id AND batch = o.rollout_batch AND job_is_unfinished(status)) AS batch_unfinished
              FROM operations o WHERE id = @operationId
            """,
            new { operationId }, transaction, cancellationToken: cancellationToken));
        if (definition.HealthGate is { } gate)
        {
            var batch = op.HasRollout ? op.RolloutBatch : 1;
            var batchDone = op.HasRollout ? batch > 0 && op.BatchUnfinished == 0 : op.Terminal;
            var eligible = batchDone && op.RolloutStopped is null && !op.Cancelled && (op.Terminal ? op.Status == "succeeded" : op.HasRollout);
            if (eligible)
            {
                var gates = current.GateList();
                var entry = gates.FirstOrDefault(g => g.Batch == batch);
                if (entry is null)
                {
                    var error = await StartGateAsync(connection, transaction, run, current, gate, operationId, op.HasRollout ? batch : null, steps, values, cancellationToken);
                    return error is null ? null : (false, error);
                }

                var gateStatus = await connection.QuerySingleAsync<(string Status, bool Terminal, string? Error)>(new CommandDefinition(
                    """
                    SELECT o.status, operation_is_terminal(o.status),
                           (SELECT string_agg(a.hostname || ': ' || j.status || coalesce(' — ' || j.error, ''), '; ' ORDER BY a.hostname)
                              FROM jobs j JOIN agents a ON a.id = j.agent_id WHERE j.operation_id = o.id AND j.status <> 'succeeded')
                      FROM operations o WHERE o.id = @id
                    """,
                    new { id = entry.OperationId }, transaction, cancellationToken: cancellationToken));
                if (!gateStatus.Terminal)
                {
                    return null;
                }

                if (gateStatus.Status != "succeeded")
                {
                    var reason = $"the health gate failed after batch {batch}";
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        UPDATE operations SET rollout_stopped = @reason WHERE id = @operationId AND rollout_batch_size IS NOT NULL;
                        UPDATE jobs SET status = 'skipped', finished_at = @now, error = 'not released: ' || @reason WHERE operation_id = @operationId AND status = 'waiting';
                        """,
                        new { operationId, reason, now = timeProvider.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
                    return (false, $"health gate {gate.Kind} failed after batch {batch} ({gateStatus.Status}: {gateStatus.Error ?? "no detail"}); the remaining jobs were skipped");
                }

                if (op.HasRollout)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        UPDATE operations SET rollout_gate_passed = greatest(rollout_gate_passed, @batch) WHERE id = @operationId;
                        SELECT rollout_advance(@operationId, @now);
                        """,
                        new { operationId, batch, now = timeProvider.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
                }

                return op.Terminal ? (true, null) : null;
            }
        }

        if (!op.Terminal)
        {
            return null;
        }

        if (op.Status == "succeeded")
        {
            return (true, null);
        }

        var summary = await connection.QuerySingleAsync<string?>(new CommandDefinition(
            """
            SELECT string_agg(a.hostname || ': ' || j.status || coalesce(' — ' || j.error, ''), '; ' ORDER BY a.hostname)
              FROM jobs j JOIN agents a ON a.id = j.agent_id WHERE j.operation_id = @operationId AND j.status <> 'succeeded'
            """,
            new { operationId }, transaction, cancellationToken: cancellationToken));
        return (false, $"operation {operationId} ended {op.Status}: {summary ?? "no job detail"}");
    }

    private async Task<string?> StartGateAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RunState run, StepState current, RunbookHealthGate gate, Guid operationId, int? batch,
        IReadOnlyList<StepState> steps, IReadOnlyDictionary<string, JsonElement> values, CancellationToken cancellationToken)
    {
        var kind = OperationKindCatalog.TryGet(gate.Kind, out var k) ? k : throw new InvalidOperationException("validated on save");
        var resolver = await ResolverAsync(connection, transaction, run, steps, values, cancellationToken);
        var (parameters, error) = ResolveParameters(kind, gate.Parameters, "healthGate.parameters", resolver);
        if (error is not null)
        {
            return "the health gate could not start: " + error;
        }

        OperationTarget target;
        if (gate.Target is { } explicitTarget)
        {
            target = ToTarget(explicitTarget);
        }
        else
        {
            // No target: the agents of the batch just released (DESIGN.md §12).
            var agents = (await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT agent_id FROM jobs WHERE operation_id = @operationId AND (@batch::integer IS NULL OR batch = @batch) AND status <> 'skipped' ORDER BY agent_id",
                new { operationId, batch }, transaction, cancellationToken: cancellationToken))).ToList();
            target = new OperationTarget(AgentIds: agents);
        }

        var request = new CreateOperationRequest(kind.Name, parameters, target, gate.TimeoutSeconds);
        var inserted = await operations.InsertAsync(
            connection, transaction, request, kind, run.RequestedBy, null, null, new OperationLink(run.Id, $"{current.Name}.gate", false), cancellationToken);
        if (inserted.Operation is null)
        {
            return "the health gate could not start: " + string.Join(" ", inserted.Errors.SelectMany(e => e.Value));
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            run.RequestedBy, null, "operation.create", "operation", inserted.Operation.Id.ToString(), null, null,
            new { kind = kind.Name, target, jobs = inserted.AgentIds.Count, runId = run.Id, step = current.Name, healthGateBatch = batch ?? 1 }), cancellationToken);
        var gates = current.GateList();
        gates.Add(new GateEntry(batch ?? 1, inserted.Operation.Id));
        current.Gates = JsonSerializer.Serialize(gates, Contracts.Json.OpsJson.Default);
        await SaveStepAsync(connection, transaction, run.Id, current, cancellationToken);
        return null;
    }

    private async Task FailStepAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RunState run, StepState current, RunbookStep definition,
        IReadOnlyList<StepState> steps, string error, CancellationToken cancellationToken)
    {
        current.Status = "failed";
        current.Error = error.Length > 4000 ? error[..4000] : error;
        current.StartedAt ??= timeProvider.GetUtcNow().UtcDateTime;
        current.FinishedAt = timeProvider.GetUtcNow().UtcDateTime;
        await SaveStepAsync(connection, transaction, run.Id, current, cancellationToken);
        RunbookLog.Step(logger, run.Id, current.Name, current.Phase, current.Status);
        var onFailure = definition.OnFailure ?? "abort";
        run.Error ??= $"step {current.Name} failed: {current.Error}";
        switch (current.Phase)
        {
            case "main" when onFailure == "rollback":
                run.Outcome = "rolled_back";
                await SkipPendingAsync(connection, transaction, run.Id, steps, "main", $"skipped: step {current.Name} failed and the run rolled back", cancellationToken);
                run.Phase = "rollback";
                break;
            case "main" when onFailure == "continue":
                run.Outcome = "failed";
                break;
            case "main":
                run.Outcome = "failed";
                await SkipPendingAsync(connection, transaction, run.Id, steps, "main", $"skipped: step {current.Name} failed", cancellationToken);
                run.Phase = "finally";
                break;
            case "rollback":
                run.Outcome = "failed";
                if (onFailure != "continue")
                {
                    await SkipPendingAsync(connection, transaction, run.Id, steps, "rollback", $"skipped: rollback step {current.Name} failed", cancellationToken);
                    run.Phase = "finally";
                }

                break;
            default:
                if (run.Outcome is null or "succeeded")
                {
                    run.Outcome = "failed";
                }

                if (onFailure != "continue")
                {
                    await SkipPendingAsync(connection, transaction, run.Id, steps, "finally", $"skipped: finally step {current.Name} failed", cancellationToken);
                }

                break;
        }

        await SaveRunAsync(connection, transaction, run, cancellationToken);
    }

    private static async Task SkipPendingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, IReadOnlyList<StepState> steps, string phase, string reason, CancellationToken cancellationToken)
    {
        foreach (var step in steps.Where(s => s.Phase == phase && s.Status == "pending"))
        {
            step.Status = "skipped";
            step.Error = reason;
            await SaveStepAsync(connection, transaction, runId, step, cancellationToken);
        }
    }

    private static async Task<RunbookReferences.Resolver> ResolverAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, RunState run, IReadOnlyList<StepState> steps,
        IReadOnlyDictionary<string, JsonElement> values, CancellationToken cancellationToken)
    {
        var ran = steps.Where(s => s.OperationId is not null && s.Status is not ("pending" or "running")).ToList();
        var results = (await connection.QueryAsync<(Guid OperationId, int Jobs, string? Result)>(new CommandDefinition(
            "SELECT operation_id, count(*)::integer, (array_agg(result::text))[1] FROM jobs WHERE operation_id = ANY(@ids) GROUP BY operation_id",
            new { ids = ran.Select(s => s.OperationId!.Value).ToArray() }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.OperationId);
        return Resolver(values, run.Id, run.RequestedBy, name =>
        {
            var step = steps.FirstOrDefault(s => s.Name == name);
            if (step is null || step.Status is "pending" or "running")
            {
                return null;
            }

            if (step.OperationId is { } id && results.TryGetValue(id, out var r))
            {
                return new StepValue(step.Status, r.Jobs, r.Result is null ? null : JsonNode.Parse(r.Result));
            }

            return new StepValue(step.Status, 0, null);
        });
    }

    private static (JsonElement? Parameters, string? Error) ResolveParameters(OperationKind kind, JsonElement? raw, string prefix, RunbookReferences.Resolver resolver)
    {
        var source = raw is { ValueKind: JsonValueKind.Object } p ? p : JsonDocument.Parse("{}").RootElement;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var resolved = RunbookReferences.Substitute(source, prefix, resolver, errors);
        if (errors.Count > 0)
        {
            return (null, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        }

        var element = JsonDocument.Parse(resolved!.ToJsonString()).RootElement.Clone();
        var binding = ParameterBinder.Bind(kind, element, prefix);
        return binding.IsValid
            ? (element, null)
            : (null, "its parameters are invalid once references are resolved: " + string.Join("; ", binding.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
    }

    private static OperationTarget ToTarget(RunbookTarget target) => new(target.AgentIds, target.Labels, target.All);

    private static Task SaveRunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RunState run, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE runbook_runs SET phase = @Phase, outcome = @Outcome, error = @Error, updated_at = now() WHERE id = @Id",
            run, transaction, cancellationToken: cancellationToken));

    private static Task SaveStepAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid runId, StepState step, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE runbook_run_steps SET status = @Status, operation_id = @OperationId, started_at = @StartedAt, finished_at = @FinishedAt,
                                         error = @Error, gates = @Gates::jsonb
             WHERE run_id = @runId AND phase = @Phase AND position = @Position
            """,
            new { runId, step.Status, step.OperationId, step.StartedAt, step.FinishedAt, step.Error, step.Gates, step.Phase, step.Position },
            transaction, cancellationToken: cancellationToken));

    /// <summary>A step's status, job count and (for one job) result, as references see it.</summary>
    internal sealed record StepValue(string Status, int Jobs, JsonNode? Result);

    private sealed record GateEntry(int Batch, Guid OperationId);

    private sealed class RunState
    {
        public Guid Id { get; set; }
        public string Runbook { get; set; } = string.Empty;
        public int Version { get; set; }
        public string Status { get; set; } = string.Empty;
        public string Phase { get; set; } = "main";
        public string? Outcome { get; set; }
        public string? Error { get; set; }
        public string Parameters { get; set; } = "{}";
        public string RequestedBy { get; set; } = string.Empty;
    }

    private sealed class StepState
    {
        public string Phase { get; set; } = string.Empty;
        public int Position { get; set; }
        public string Name { get; set; } = string.Empty;
        public string Status { get; set; } = string.Empty;
        public Guid? OperationId { get; set; }
        public DateTime? StartedAt { get; set; }
        public DateTime? FinishedAt { get; set; }
        public string? Error { get; set; }
        public string Gates { get; set; } = "[]";

        public List<GateEntry> GateList() => JsonSerializer.Deserialize<List<GateEntry>>(Gates, Contracts.Json.OpsJson.Default) ?? [];
    }

    private sealed class OperationState
    {
        public string Status { get; set; } = string.Empty;
        public bool Terminal { get; set; }
        public bool HasRollout { get; set; }
        public int RolloutBatch { get; set; }
        public string? RolloutStopped { get; set; }
        public bool Cancelled { get; set; }
        public int BatchUnfinished { get; set; }
    }
}
