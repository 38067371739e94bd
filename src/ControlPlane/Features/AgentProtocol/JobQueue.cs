using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using NpgsqlTypes;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Features.Jobs;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// The job queue as the agent protocol sees it (DESIGN.md §4–5): leasing with
/// <c>FOR UPDATE SKIP LOCKED</c> (priority, then age), Start, bounded output, heartbeats and
/// completion. Every call is idempotent and attempt-checked; a job reaches exactly one terminal
/// state.
/// </summary>
internal sealed class JobQueue : IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly AgentProtocolOptions options;
    private readonly TimeProvider timeProvider;
    private readonly GroupCommit<StartItem, bool> _starts;
    private readonly GroupCommit<CompleteItem, bool> _completions;
    private readonly GroupCommit<LeaseItem, (IReadOnlyList<JobAssignment> Jobs, IReadOnlyList<string> Cancellations)> _leases;
    private readonly GroupCommit<HeartbeatItem, IReadOnlyList<string>> _heartbeats;

    /// <summary>The queue over <paramref name="dataSource"/>; leases, Start, Complete and heartbeats go through a group commit each.</summary>
    public JobQueue(NpgsqlDataSource dataSource, AgentProtocolOptions options, TimeProvider timeProvider)
    {
        this.dataSource = dataSource;
        this.options = options;
        this.timeProvider = timeProvider;
        _starts = new GroupCommit<StartItem, bool>(FlushStartsAsync);
        _completions = new GroupCommit<CompleteItem, bool>(FlushCompletionsAsync);
        _leases = new GroupCommit<LeaseItem, (IReadOnlyList<JobAssignment> Jobs, IReadOnlyList<string> Cancellations)>(FlushLeasesAsync);
        _heartbeats = new GroupCommit<HeartbeatItem, IReadOnlyList<string>>(FlushHeartbeatsAsync);
    }

    /// <summary>Stops the group commits after their flushes in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _starts.DisposeAsync();
        await _completions.DisposeAsync();
        await _leases.DisposeAsync();
        await _heartbeats.DisposeAsync();
    }

    /// <summary>How many of the oldest tail chunks one trimming statement looks at.</summary>
    private const int TrimBatch = 256;

    /// <summary>
    /// Leases up to <paramref name="max"/> queued, unexpired jobs of the agent (highest priority,
    /// then oldest first) and takes the cancellations it has not been told about. Concurrent Pulls
    /// of all agents lease in one statement (<see cref="GroupCommit{TRequest, TResult}"/>: one
    /// transaction, one round trip per flush). The lease commits without waiting for the WAL flush
    /// (<c>synchronous_commit = off</c>): a lease lost in a database crash only leaves the job
    /// queued, to be delivered again.
    /// </summary>
    public Task<(IReadOnlyList<JobAssignment> Jobs, IReadOnlyList<string> Cancellations)> PullAsync(Guid agentId, int max, CancellationToken cancellationToken) =>
        _leases.SubmitAsync(new LeaseItem(agentId, max)).WaitAsync(cancellationToken);

    /// <summary>One Pull of a group commit: the agent and how many jobs it may take.</summary>
    private sealed record LeaseItem(Guid AgentId, int Max);

    private async Task FlushLeasesAsync(
        IReadOnlyList<GroupCommit<LeaseItem, (IReadOnlyList<JobAssignment> Jobs, IReadOnlyList<string> Cancellations)>.Pending> batch,
        CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        // Two Pulls of one agent in a flush share one LIMIT (the sum), then split the jobs in order.
        var byAgent = batch.GroupBy(p => p.Request.AgentId).ToDictionary(g => g.Key, g => g.ToList());
        var agents = byAgent.Keys.ToArray();
        var limits = agents.Select(a => byAgent[a].Sum(p => Math.Max(0, p.Request.Max))).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("BEGIN"),
                new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"),
                new NpgsqlBatchCommand(
                    """
                    WITH picked AS (
                        SELECT j.id
                          FROM unnest($1::uuid[], $4::integer[]) AS r(agent_id, max)
                         CROSS JOIN LATERAL (
                               SELECT id FROM jobs
                                WHERE agent_id = r.agent_id AND status = 'queued' AND deadline_at > $2
                                ORDER BY priority DESC, queued_at, id
                                LIMIT r.max
                                FOR UPDATE SKIP LOCKED) j
                    ), leased AS (
                        UPDATE jobs SET status = 'leased', leased_at = $2, lease_expires_at = $3
                         WHERE id IN (SELECT id FROM picked)
                        RETURNING id, agent_id, operation_id, kind, attempt, deadline_at, queued_at, priority
                    )
                    SELECT l.id, l.operation_id, l.kind, l.attempt, l.deadline_at, l.queued_at, o.parameters::text, o.traceparent, l.agent_id
                      FROM leased l JOIN operations o ON o.id = l.operation_id
                     ORDER BY l.agent_id, l.priority DESC, l.queued_at, l.id
                    """)
                {
                    Parameters = { new() { Value = agents }, new() { Value = now }, new() { Value = now + options.LeaseDuration }, new() { Value = limits } },
                },
                new NpgsqlBatchCommand(
                    """
                    UPDATE jobs SET cancel_delivered_at = $2
                     WHERE agent_id = ANY($1) AND cancel_requested_at IS NOT NULL AND cancel_delivered_at IS NULL AND leased_at IS NOT NULL
                    RETURNING id, agent_id
                    """)
                {
                    Parameters = { new() { Value = agents }, new() { Value = now } },
                },
                new NpgsqlBatchCommand("COMMIT"),
            },
        };
        var assignments = agents.ToDictionary(a => a, _ => new List<JobAssignment>());
        var cancellations = agents.ToDictionary(a => a, _ => new List<string>());
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var agentId = reader.GetGuid(8);
                var traceparent = reader.IsDBNull(7) ? string.Empty : reader.GetString(7);
                RecordLease(traceparent, agentId, reader.GetGuid(0), reader.GetInt32(3));
                var queuedAt = DbTime.Utc(reader.GetDateTime(5));
                DispatchMetrics.DispatchLatency.Record((now - queuedAt).TotalMilliseconds);
                assignments[agentId].Add(new JobAssignment
                {
                    JobId = reader.GetGuid(0).ToString(),
                    OperationId = reader.GetGuid(1).ToString(),
                    Kind = reader.GetString(2),
                    Attempt = reader.GetInt32(3),
                    Deadline = Timestamp.FromDateTimeOffset(DbTime.Utc(reader.GetDateTime(4))),
                    ParametersJson = reader.GetString(6),
                    Traceparent = traceparent,
                });
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                cancellations[reader.GetGuid(1)].Add(reader.GetGuid(0).ToString());
            }
        }

        foreach (var (agentId, pulls) in byAgent)
        {
            var jobs = assignments[agentId];
            var taken = 0;
            for (var i = 0; i < pulls.Count; i++)
            {
                var share = jobs.Skip(taken).Take(Math.Max(0, pulls[i].Request.Max)).ToList();
                taken += share.Count;
                pulls[i].Succeed((share, i == 0 ? cancellations[agentId] : []));
            }
        }
    }

    /// <summary>
    /// A span <c>ops.job.lease</c> in the operation's trace (its W3C <c>traceparent</c>, taken at
    /// submit), so one trace shows the REST POST, each job's lease and the agent's execution
    /// (DESIGN.md §10).
    /// </summary>
    internal static void RecordLease(string traceparent, Guid agentId, Guid jobId, int attempt)
    {
        if (!ActivityContext.TryParse(traceparent, null, out var parent))
        {
            return;
        }

        using var activity = OpsTelemetry.ActivitySource.StartActivity("ops.job.lease", ActivityKind.Internal, parent);
        activity?.SetTag("ops.job.id", jobId.ToString());
        activity?.SetTag("ops.agent.id", agentId.ToString());
        activity?.SetTag("ops.job.attempt", attempt);
    }

    /// <summary>
    /// leased → running. Returns <c>proceed</c>: false when the job was cancelled or ended meanwhile.
    /// Repeating Start for a running job answers the same. Concurrent Starts of all agents are
    /// written in one transaction (<see cref="GroupCommit{TRequest, TResult}"/>); the answer comes after its commit.
    /// </summary>
    /// <exception cref="Grpc.Core.RpcException">NOT_FOUND: no such job; FAILED_PRECONDITION: not this agent's, a stale attempt, or not leased.</exception>
    public Task<bool> StartAsync(Guid agentId, Guid jobId, int attempt, CancellationToken cancellationToken) =>
        _starts.SubmitAsync(new StartItem(agentId, jobId, attempt)).WaitAsync(cancellationToken);

    /// <summary>One Start of a group commit.</summary>
    private sealed record StartItem(Guid AgentId, Guid JobId, int Attempt);

    /// <summary>One Complete of a group commit, validated: the job's terminal status and its result text.</summary>
    private sealed record CompleteItem(Guid AgentId, Guid JobId, CompleteRequest Request, string Status, string? Result);

    /// <summary>
    /// Writes a flush of Starts in one statement and one round trip (autocommit, durable): the
    /// requested jobs locked in id order, each <c>leased</c> one whose agent and attempt match moved
    /// to <c>running</c> (or to <c>cancelled</c> when a cancellation is pending), and the jobs as they
    /// were before, from which each request's answer is decided as DESIGN.md §4 says.
    /// </summary>
    private async Task FlushStartsAsync(IReadOnlyList<GroupCommit<StartItem, bool>.Pending> batch, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var before = (await connection.QueryAsync<OwnedJob>(new CommandDefinition(
            """
            /* ops: Start flush */ WITH req AS (
                SELECT * FROM unnest(@jobIds::uuid[], @agentIds::uuid[], @attempts::integer[]) AS r(job_id, agent_id, attempt)
            ), cur AS (
                SELECT j.id, j.agent_id, j.kind, j.status, j.attempt, j.cancel_requested_at, j.started_at
                  FROM jobs j WHERE j.id IN (SELECT job_id FROM req) ORDER BY j.id FOR UPDATE
            ), upd AS (
                UPDATE jobs j
                   SET status = CASE WHEN c.cancel_requested_at IS NULL THEN 'running' ELSE 'cancelled' END,
                       started_at = CASE WHEN c.cancel_requested_at IS NULL THEN @now ELSE j.started_at END,
                       finished_at = CASE WHEN c.cancel_requested_at IS NULL THEN j.finished_at ELSE @now END,
                       cancel_delivered_at = CASE WHEN c.cancel_requested_at IS NULL THEN j.cancel_delivered_at ELSE @now END,
                       lease_expires_at = CASE WHEN c.cancel_requested_at IS NULL THEN @runningUntil END
                  FROM cur c
                 WHERE j.id = c.id AND c.status = 'leased'
                   AND EXISTS (SELECT 1 FROM req r WHERE r.job_id = c.id AND r.agent_id = c.agent_id AND r.attempt = c.attempt)
                RETURNING j.id)
            SELECT id, agent_id, kind, status, attempt, cancel_requested_at, started_at FROM cur
            """,
            new
            {
                jobIds = batch.Select(p => p.Request.JobId).ToArray(),
                agentIds = batch.Select(p => p.Request.AgentId).ToArray(),
                attempts = batch.Select(p => p.Request.Attempt).ToArray(),
                now,
                runningUntil = now + options.RunningGrace,
            },
            cancellationToken: cancellationToken))).ToDictionary(j => j.Id);

        // The answers, replaying on the jobs as they were what the statement did (a job asked twice
        // in one flush: the second request sees it running).
        var answers = new (bool Proceed, Exception? Error)[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var (agentId, jobId, attempt) = batch[i].Request;
            if ((Refusal(before, agentId, jobId) ?? StaleAttempt(before[jobId], attempt)) is { } refused)
            {
                answers[i] = (false, refused);
                continue;
            }

            var job = before[jobId];
            switch (job.Status)
            {
                case "leased" when job.CancelRequestedAt is not null:
                    job.Status = "cancelled";
                    answers[i] = (false, null);
                    break;
                case "leased":
                    job.Status = "running";
                    answers[i] = (true, null);
                    break;
                case "running":
                    answers[i] = (job.CancelRequestedAt is null, null);
                    break;
                case "queued" or "waiting" or "pending_approval":
                    answers[i] = (false, Refuse(Grpc.Core.StatusCode.FailedPrecondition, $"Job {jobId} is not leased to this agent."));
                    break;
                default:
                    answers[i] = (false, null);
                    break;
            }
        }

        GroupCommit<StartItem, bool>.AnswerAll(batch, answers);
    }

    /// <summary>The jobs of a flush, locked in id order (no deadlock between flushes), by id.</summary>
    private static async Task<Dictionary<Guid, OwnedJob>> LockJobsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<Guid> jobIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<OwnedJob>(new CommandDefinition(
            """
            SELECT id, agent_id, kind, status, attempt, cancel_requested_at, started_at, completed_attempt, output_bytes, output_trimmed_seq,
                   output_attempt, output_head_seq, output_head_bytes, output_head_closed
              FROM jobs WHERE id = ANY(@ids) ORDER BY id FOR UPDATE
            """,
            new { ids = jobIds.Distinct().ToArray() }, transaction, cancellationToken: cancellationToken))).ToDictionary(j => j.Id);

    /// <summary>NOT_FOUND or FAILED_PRECONDITION when the job does not exist or is not the agent's; <c>null</c> when it is.</summary>
    private static Grpc.Core.RpcException? Refusal(Dictionary<Guid, OwnedJob> jobs, Guid agentId, Guid jobId) =>
        !jobs.TryGetValue(jobId, out var job) ? Refuse(Grpc.Core.StatusCode.NotFound, $"No job {jobId}.")
        : job.AgentId != agentId ? Refuse(Grpc.Core.StatusCode.FailedPrecondition, $"Job {jobId} is not leased to this agent.")
        : null;

    private static Grpc.Core.RpcException? StaleAttempt(OwnedJob job, int attempt) =>
        job.Attempt != attempt ? Refuse(Grpc.Core.StatusCode.FailedPrecondition, $"Attempt {attempt} is stale: the job is on attempt {job.Attempt}.") : null;

    private static Grpc.Core.RpcException Refuse(Grpc.Core.StatusCode code, string detail) => new(new Grpc.Core.Status(code, detail));

    /// <summary>
    /// Stores output chunks deduplicated by (job, attempt, seq), keeping the job's stored output
    /// within <see cref="AgentProtocolOptions.OutputLimitBytes"/>: its first and last halves stay,
    /// the middle is dropped and the job marked truncated. Returns whether the job should stop.
    /// </summary>
    /// <remarks>
    /// Costs O(chunks of the call) whatever the number of stored chunks: the head (the longest
    /// prefix within half the bound) is tracked on the job row, and an append that crosses the
    /// bound deletes only the oldest chunks after the head, read in primary-key order from the
    /// last dropped seq on, until the tail is within the other half.
    /// </remarks>
    public async Task<bool> AppendOutputAsync(Guid agentId, Guid jobId, int attempt, IReadOnlyList<OutputChunk> chunks, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var job = await LockOwnedJobAsync(connection, transaction, agentId, jobId, cancellationToken);
        RequireCurrentAttempt(job, attempt);
        if (job.Status is "queued" or "waiting" or "pending_approval")
        {
            RpcErrors.FailedPrecondition($"Job {jobId} is not leased to this agent.");
        }

        if (!JobStates.IsUnfinished(job.Status))
        {
            // A job's output never grows after its end (lost, timed out, completed): the agent drops the job.
            RpcErrors.FailedPrecondition($"Job {jobId} has ended ({job.Status}); its output is closed.");
        }

        if (chunks.Count > 0)
        {
            var half = options.OutputLimitBytes / 2;
            var state = job.OutputAttempt == attempt
                ? new OutputState(job.OutputBytes, job.OutputTrimmedSeq, job.OutputHeadSeq, job.OutputHeadBytes, job.OutputHeadClosed)
                : await DescribeStoredOutputAsync(connection, transaction, jobId, attempt, job.OutputAttempt == -attempt ? job.OutputTrimmedSeq : 0, half, cancellationToken);
            var inserted = new List<(long Seq, int Length)>(chunks.Count);
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO job_output (job_id, attempt, seq, stream, data, at)
                SELECT $1, $2, c.seq, c.stream, c.data, c.at
                  FROM unnest($3::bigint[], $4::smallint[], $5::bytea[], $6::timestamptz[]) AS c(seq, stream, data, at)
                 WHERE c.seq > $7
                ON CONFLICT DO NOTHING
                RETURNING seq, length(data)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue(jobId);
                insert.Parameters.AddWithValue(attempt);
                insert.Parameters.AddWithValue(chunks.Select(c => c.Seq).ToArray());
                insert.Parameters.AddWithValue(chunks.Select(c => (short)c.Stream).ToArray());
                insert.Parameters.AddWithValue(chunks.Select(c => c.Data.ToByteArray()).ToArray());
                insert.Parameters.AddWithValue(chunks.Select(c => c.At is null ? timeProvider.GetUtcNow() : c.At.ToDateTimeOffset()).ToArray());
                insert.Parameters.AddWithValue(state.TrimmedSeq);
                await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    inserted.Add((reader.GetInt64(0), reader.GetInt32(1)));
                }
            }

            var (stored, trimmedSeq, headSeq, headBytes, headClosed) = state;
            foreach (var (seq, length) in inserted.OrderBy(c => c.Seq))
            {
                stored += length;
                if (seq <= headSeq)
                {
                    headBytes += length; // a late chunk inside the head
                }
                else if (!headClosed && headBytes + length <= half)
                {
                    headSeq = seq;
                    headBytes += length;
                }
                else
                {
                    headClosed = true;
                }
            }

            var truncated = state.TrimmedSeq > 0 && chunks.Any(c => c.Seq <= state.TrimmedSeq);
            if (stored > options.OutputLimitBytes)
            {
                // The tail (everything after the head) keeps its newest chunks within half the bound.
                for (var excess = stored - headBytes - half; excess > 0; excess = stored - headBytes - half)
                {
                    // The oldest tail chunks, in primary-key order from the last dropped seq on; the
                    // ones needed to cover the excess form one seq range, deleted through the key.
                    var oldest = (await connection.QueryAsync<(long Seq, int Length)>(new CommandDefinition(
                        """
                        SELECT seq, length(data) FROM job_output
                         WHERE job_id = @jobId AND attempt = @attempt AND seq > @after
                         ORDER BY seq
                         LIMIT @batch
                        """,
                        new { jobId, attempt, after = Math.Max(headSeq, trimmedSeq), batch = TrimBatch }, transaction, cancellationToken: cancellationToken))).ToList();
                    if (oldest.Count == 0)
                    {
                        break;
                    }

                    long droppedBytes = 0, maxDropped = 0;
                    foreach (var (seq, length) in oldest)
                    {
                        if (droppedBytes >= excess)
                        {
                            break;
                        }

                        droppedBytes += length;
                        maxDropped = seq;
                    }

                    await connection.ExecuteAsync(new CommandDefinition(
                        "DELETE FROM job_output WHERE job_id = @jobId AND attempt = @attempt AND seq > @after AND seq <= @maxDropped",
                        new { jobId, attempt, after = Math.Max(headSeq, trimmedSeq), maxDropped }, transaction, cancellationToken: cancellationToken));
                    stored -= droppedBytes;
                    trimmedSeq = Math.Max(trimmedSeq, maxDropped);
                    truncated = true;
                }
            }

            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE jobs SET output_bytes = @stored, output_truncated = output_truncated OR @truncated,
                                output_trimmed_seq = @trimmedSeq, output_attempt = @attempt,
                                output_head_seq = @headSeq, output_head_bytes = @headBytes, output_head_closed = @headClosed
                 WHERE id = @jobId
                """,
                new { jobId, stored, truncated, trimmedSeq, attempt, headSeq, headBytes, headClosed }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return job.CancelRequestedAt is not null || job.Status is "cancelled" or "timed_out" or "lost";
    }

    /// <summary>
    /// The output bookkeeping of an attempt read from its stored chunks: once per attempt (none
    /// stored yet for a new attempt, whose stored bytes start at 0) or for output stored before
    /// migration 0050 (marked <c>output_attempt = -attempt</c>, keeping its dropped seq). The head is the
    /// longest prefix within <paramref name="half"/> below the first dropped chunk.
    /// </summary>
    private static Task<OutputState> DescribeStoredOutputAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid jobId, int attempt, long trimmedSeq, long half, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<OutputState>(new CommandDefinition(
            """
            WITH c AS (
                SELECT seq, length(data) AS len, sum(length(data)) OVER (ORDER BY seq) AS cum
                  FROM job_output WHERE job_id = @jobId AND attempt = @attempt)
            SELECT coalesce(sum(len), 0)::bigint AS stored,
                   @trimmedSeq AS trimmedseq,
                   coalesce(max(seq) FILTER (WHERE cum <= @half AND (@trimmedSeq = 0 OR seq < @trimmedSeq)), 0) AS headseq,
                   coalesce(max(cum) FILTER (WHERE cum <= @half AND (@trimmedSeq = 0 OR seq < @trimmedSeq)), 0)::bigint AS headbytes,
                   @trimmedSeq > 0 OR coalesce(bool_or(cum > @half), false) AS headclosed
              FROM c
            """,
            new { jobId, attempt, trimmedSeq, half }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Records a heartbeat: the telemetry sample, extended leases of the agent's running jobs, and
    /// the ids it must stop (cancelled, timed out, or no longer its own) plus undelivered
    /// cancellations. Concurrent heartbeats of all agents are written in one transaction
    /// (<see cref="GroupCommit{TRequest, TResult}"/>); the answer comes after its commit.
    /// </summary>
    public Task<IReadOnlyList<string>> HeartbeatAsync(Guid agentId, IReadOnlyList<Guid> runningJobIds, string? statsJson, CancellationToken cancellationToken) =>
        _heartbeats.SubmitAsync(new HeartbeatItem(agentId, runningJobIds, statsJson)).WaitAsync(cancellationToken);

    /// <summary>One Heartbeat of a group commit.</summary>
    private sealed record HeartbeatItem(Guid AgentId, IReadOnlyList<Guid> RunningJobIds, string? StatsJson);

    private async Task FlushHeartbeatsAsync(IReadOnlyList<GroupCommit<HeartbeatItem, IReadOnlyList<string>>.Pending> batch, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        // One row per agent (the newest sample of the flush wins), in id order: flushes lock agents alike.
        var agents = batch.GroupBy(p => p.Request.AgentId)
            .Select(g => (Id: g.Key, Stats: g.Select(p => p.Request.StatsJson).LastOrDefault(x => x is not null)))
            .OrderBy(a => a.Id).ToList();
        var running = batch.SelectMany(p => p.Request.RunningJobIds.Select(j => (Job: j, Agent: p.Request.AgentId))).Distinct().ToList();
        var runningJobs = running.Select(r => r.Job).ToArray();
        var runningAgents = running.Select(r => r.Agent).ToArray();
        var agentIds = agents.Select(a => a.Id).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    """
                    UPDATE agents a SET last_seen_at = $3, last_stats = coalesce(u.stats, a.last_stats)
                      FROM unnest($1::uuid[], $2::jsonb[]) AS u(id, stats)
                     WHERE a.id = u.id
                    """)
                {
                    Parameters =
                    {
                        new() { Value = agentIds },
                        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = agents.Select(a => (object?)a.Stats ?? DBNull.Value).ToArray() },
                        new() { Value = now },
                    },
                },
                new NpgsqlBatchCommand(
                    """
                    UPDATE jobs j SET lease_expires_at = $3
                      FROM unnest($1::uuid[], $2::uuid[]) AS r(id, agent_id)
                     WHERE j.id = r.id AND j.agent_id = r.agent_id AND j.status = 'running'
                    """)
                {
                    Parameters = { new() { Value = runningJobs }, new() { Value = runningAgents }, new() { Value = now + options.RunningGrace } },
                },
                new NpgsqlBatchCommand(
                    """
                    SELECT j.id, j.agent_id FROM jobs j JOIN unnest($1::uuid[], $2::uuid[]) AS r(id, agent_id) ON j.id = r.id AND j.agent_id = r.agent_id
                     WHERE j.cancel_requested_at IS NOT NULL OR j.status NOT IN ('leased', 'running')
                    """)
                {
                    Parameters = { new() { Value = runningJobs }, new() { Value = runningAgents } },
                },
                new NpgsqlBatchCommand(
                    """
                    UPDATE jobs SET cancel_delivered_at = $2
                     WHERE agent_id = ANY($1) AND cancel_requested_at IS NOT NULL AND cancel_delivered_at IS NULL AND leased_at IS NOT NULL
                    RETURNING id, agent_id
                    """)
                {
                    Parameters = { new() { Value = agentIds }, new() { Value = now } },
                },
            },
        };
        var stop = agentIds.ToDictionary(a => a, _ => new HashSet<Guid>());
        var delivered = agentIds.ToDictionary(a => a, _ => new HashSet<Guid>());
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            // The two UPDATEs without RETURNING yield no result set; the SELECT and the cancellations do.
            while (await reader.ReadAsync(cancellationToken))
            {
                stop[reader.GetGuid(1)].Add(reader.GetGuid(0));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                delivered[reader.GetGuid(1)].Add(reader.GetGuid(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        var told = new HashSet<Guid>();
        foreach (var pending in batch)
        {
            var agentId = pending.Request.AgentId;
            var ids = stop[agentId].Where(pending.Request.RunningJobIds.Contains).ToHashSet();
            if (told.Add(agentId))
            {
                // Undelivered cancellations go to the agent's first heartbeat of the flush.
                ids.UnionWith(delivered[agentId]);
            }

            pending.Succeed(ids.Select(i => i.ToString()).ToList());
        }
    }

    /// <summary>
    /// Records the terminal state reported by the agent. Returns <c>accepted</c>: true for the
    /// first completion of the current attempt and for its duplicates; false for a stale attempt or
    /// a job the control plane already ended (cancelled, timed out, lost). The result is checked
    /// here; the write joins the group commit of all agents' concurrent Completes
    /// (<see cref="GroupCommit{TRequest, TResult}"/>) and the answer comes after its commit.
    /// </summary>
    public async Task<bool> CompleteAsync(Guid agentId, Guid jobId, CompleteRequest request, CancellationToken cancellationToken)
    {
        var status = request.Outcome switch
        {
            JobOutcome.Succeeded => "succeeded",
            JobOutcome.Failed => "failed",
            JobOutcome.Cancelled => "cancelled",
            JobOutcome.TimedOut => "timed_out",
            _ => null,
        };
        if (status is null)
        {
            RpcErrors.InvalidArgument("outcome must be SUCCEEDED, FAILED, CANCELLED or TIMED_OUT.");
        }

        string? result = null;
        if (!string.IsNullOrEmpty(request.ResultJson))
        {
            if (System.Text.Encoding.UTF8.GetByteCount(request.ResultJson) > options.MaxResultBytes)
            {
                RpcErrors.InvalidArgument($"result_json is larger than {options.MaxResultBytes} bytes; put bulk data in the output.");
            }

            string? problem;
            try
            {
                using var parsed = JsonDocument.Parse(request.ResultJson);
                problem = StorableJson.Problem(parsed.RootElement);
            }
            catch (JsonException)
            {
                problem = "is not valid JSON";
            }

            if (problem is not null)
            {
                RpcErrors.InvalidArgument($"result_json {problem}.");
            }

            result = request.ResultJson;
        }



        return await _completions.SubmitAsync(new CompleteItem(agentId, jobId, request, status, result)).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Writes a flush of Completes in one statement and one round trip (autocommit, durable), as
    /// <see cref="FlushStartsAsync"/> does: the requested jobs locked in id order; for each
    /// <c>running</c> job, the first request of the flush whose agent and attempt match ends it
    /// with its status, result and output counts; and the jobs as they were before, from which
    /// each request's answer is decided as DESIGN.md §4 says (exactly one terminal state: a repeated
    /// Complete of the attempt that ended the job is accepted again and changes nothing).
    /// </summary>
    private async Task FlushCompletionsAsync(IReadOnlyList<GroupCommit<CompleteItem, bool>.Pending> batch, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var items = batch.Select(p => p.Request).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var jobs = (await connection.QueryAsync<OwnedJob>(new CommandDefinition(
            """
            /* ops: Complete flush */ WITH req AS (
                SELECT * FROM unnest(@jobIds::uuid[], @agentIds::uuid[], @attempts::integer[], @statuses::text[], @exitCodes::integer[],
                                     @results::text[], @errors::text[], @startedAts::timestamptz[], @outputBytes::bigint[], @outputTruncated::boolean[])
                       WITH ORDINALITY AS r(job_id, agent_id, attempt, status, exit_code, result, error, started_at, output_bytes, output_truncated, ord)
            ), cur AS (
                SELECT j.id, j.agent_id, j.kind, j.status, j.attempt, j.cancel_requested_at, j.started_at, j.completed_attempt
                  FROM jobs j WHERE j.id IN (SELECT job_id FROM req) ORDER BY j.id FOR UPDATE
            ), win AS (
                SELECT DISTINCT ON (r.job_id) r.*
                  FROM req r JOIN cur c ON c.id = r.job_id
                 WHERE r.agent_id = c.agent_id AND r.attempt = c.attempt AND c.status = 'running'
                 ORDER BY r.job_id, r.ord
            ), upd AS (
                UPDATE jobs j
                   SET status = u.status, exit_code = u.exit_code, result = u.result::jsonb, error = u.error,
                       started_at = coalesce(j.started_at, u.started_at), finished_at = @now, lease_expires_at = NULL,
                       completed_attempt = u.attempt, output_total_bytes = u.output_bytes,
                       output_truncated = j.output_truncated OR u.output_truncated
                  FROM win u
                 WHERE j.id = u.job_id
                RETURNING j.id)
            SELECT id, agent_id, kind, status, attempt, cancel_requested_at, started_at, completed_attempt FROM cur
            """,
            new
            {
                jobIds = items.Select(c => c.JobId).ToArray(),
                agentIds = items.Select(c => c.AgentId).ToArray(),
                attempts = items.Select(c => c.Request.Attempt).ToArray(),
                statuses = items.Select(c => c.Status).ToArray(),
                exitCodes = items.Select(c => c.Request.ExitCode).ToArray(),
                results = items.Select(c => c.Result).ToArray(),
                // NUL cannot be stored in PostgreSQL text: shown as U+FFFD rather than losing the completion.
                errors = items.Select(c => (c.Request.Error.Length > 8192 ? c.Request.Error[..8192] : c.Request.Error).Replace('\0', '\uFFFD'))
                    .Select(e => string.IsNullOrEmpty(e) ? null : e).ToArray(),
                startedAts = items.Select(c => c.Request.StartedAt?.ToDateTimeOffset() ?? now).ToArray(),
                outputBytes = items.Select(c => c.Request.OutputBytes).ToArray(),
                outputTruncated = items.Select(c => c.Request.OutputTruncated).ToArray(),
                now,
            },
            cancellationToken: cancellationToken))).ToDictionary(j => j.Id);

        // The answers, replaying on the jobs as they were what the statement did (a job completed
        // twice in one flush: the first request that may end it does, the second sees it ended).
        var answers = new (bool Accepted, Exception? Error)[batch.Count];
        var ended = new List<(CompleteItem Item, DateTime? StartedAt)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var item = items[i];
            var request = item.Request;
            if (Refusal(jobs, item.AgentId, item.JobId) is { } refused)
            {
                answers[i] = (false, refused);
                continue;
            }

            var job = jobs[item.JobId];
            if (job.Attempt != request.Attempt)
            {
                answers[i] = (false, null);
            }
            else if (!JobStates.IsUnfinished(job.Status))
            {
                answers[i] = (job.CompletedAttempt == request.Attempt, null);
            }
            else if (job.Status is "queued" or "waiting" or "pending_approval")
            {
                answers[i] = (false, null);
            }
            else if (job.Status == "leased")
            {
                answers[i] = (false, Refuse(Grpc.Core.StatusCode.FailedPrecondition, $"Job {item.JobId} was never started: call Start before Complete."));
            }
            else
            {
                ended.Add((item, job.StartedAt));
                job.Status = item.Status;
                job.CompletedAttempt = request.Attempt;
                answers[i] = (true, null);
            }
        }

        foreach (var (item, startedAt) in ended)
        {
            var started = startedAt is { } s ? DbTime.Utc(s) : now;
            DispatchMetrics.JobDuration.Record(
                (now - started).TotalSeconds,
                new KeyValuePair<string, object?>("kind", jobs[item.JobId].Kind),
                new KeyValuePair<string, object?>("outcome", item.Status));
        }

        GroupCommit<CompleteItem, bool>.AnswerAll(batch, answers);
    }

    /// <summary>The agent's job, locked; NOT_FOUND or FAILED_PRECONDITION as <see cref="Refusal"/> says.</summary>
    private static async Task<OwnedJob> LockOwnedJobAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid agentId, Guid jobId, CancellationToken cancellationToken)
    {
        var jobs = await LockJobsAsync(connection, transaction, [jobId], cancellationToken);
        return Refusal(jobs, agentId, jobId) is { } refused ? throw refused : jobs[jobId];
    }

    private static void RequireCurrentAttempt(OwnedJob job, int attempt)
    {
        if (StaleAttempt(job, attempt) is { } stale)
        {
            throw stale;
        }
    }

    /// <summary>The columns of a job that the protocol checks, read under a row lock.</summary>
    private sealed class OwnedJob
    {
        public Guid Id { get; set; }
        public Guid AgentId { get; set; }
        public string Kind { get; set; } = string.Empty;
        public string Status { get; set; } = string.Empty;
        public int Attempt { get; set; }
        public DateTime? CancelRequestedAt { get; set; }
        public DateTime? StartedAt { get; set; }
        public int? CompletedAttempt { get; set; }
        public long OutputBytes { get; set; }
        public long OutputTrimmedSeq { get; set; }
        public int OutputAttempt { get; set; }
        public long OutputHeadSeq { get; set; }
        public long OutputHeadBytes { get; set; }
        public bool OutputHeadClosed { get; set; }
    }

    /// <summary>An attempt's stored output: bytes, last dropped seq, and the kept head (last seq, bytes, complete).</summary>
    private sealed record OutputState(long Stored, long TrimmedSeq, long HeadSeq, long HeadBytes, bool HeadClosed);
}
