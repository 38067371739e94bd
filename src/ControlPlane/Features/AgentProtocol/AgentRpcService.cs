using Grpc.Core;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.Agents;
using Ops.ControlPlane.Features.Dispatch;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// <c>ops.agent.v1.AgentService</c> (DESIGN.md §4) on Grpc.AspNetCore: the six unary RPCs agents
/// call. Every RPC but <c>Enroll</c> is authenticated by the agent token before its request is
/// looked at. <c>Pull</c> is the downlink: it waits on the agent's in-process wake-up signal (fed
/// locally and by <c>LISTEN ops_jobs</c>) and returns as soon as work or a cancellation arrives,
/// at the latest after <c>wait_ms</c> (≤ 30 s); when the host stops, waiting Pulls end at once
/// with UNAVAILABLE so they never hold shutdown. A caller deadline shorter than the wait ends the
/// call with DEADLINE_EXCEEDED, as for any RPC: agents set their deadline beyond <c>wait_ms</c>.
/// </summary>
internal sealed class AgentRpcService(
    AgentAuthenticator authenticator,
    AgentEnrollment enrollment,
    JobQueue queue,
    AgentWakeups wakeups,
    PullHandoffs handoffs,
    JobOutputSignals outputSignals,
    AgentOptions agentOptions,
    AgentProtocolOptions options,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider) : AgentService.AgentServiceBase
{
    /// <summary>Largest <c>output_bytes</c> a Complete may report: 1 PiB, far beyond any real job's output.</summary>
    public const long MaxReportedOutputBytes = 1L << 50;

    public override async Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var (agentId, token) = await enrollment.EnrollAsync(request, context.Peer, context.CancellationToken);
        return new EnrollResponse { AgentId = agentId.ToString(), AgentToken = token, HeartbeatIntervalMs = agentOptions.HeartbeatIntervalMs };
    }

    public override async Task<PullResponse> Pull(PullRequest request, ServerCallContext context)
    {
        var agent = await authenticator.AuthenticateAsync(context, touch: true, context.CancellationToken);
        if (request.MaxJobs < 0 || request.MaxJobs > options.MaxJobsPerPull)
        {
            RpcErrors.InvalidArgument($"max_jobs must be between 0 and {options.MaxJobsPerPull}.");
        }

        if (request.WaitMs < 0)
        {
            RpcErrors.InvalidArgument("wait_ms must be 0 or more.");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellationToken = linked.Token;
        var now = timeProvider.GetUtcNow();
        var waitUntil = now + TimeSpan.FromMilliseconds(Math.Min(request.WaitMs, options.MaxPullWait.TotalMilliseconds));
        while (true)
        {
            var signal = wakeups.Subscribe(agent.AgentId);
            var response = await ReadQueueAsync(agent.AgentId, request.MaxJobs, context.CancellationToken);
            var remaining = waitUntil - timeProvider.GetUtcNow();
            if (response.Jobs.Count > 0 || response.CancelJobIds.Count > 0 || remaining <= TimeSpan.Zero)
            {
                return response;
            }

            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                RpcErrors.Unavailable("The control plane is shutting down; pull again.");
            }

            // A submit for this agent may hand its job straight to this Pull while it waits (PullHandoffs).
            var handoff = request.MaxJobs > 0 ? handoffs.Register(agent.AgentId) : null;
            var (timedOut, cancelled) = (false, false);
            try
            {
                using var waiting = wakeups.EnterWait();
                await (handoff is null ? signal : Task.WhenAny(signal, handoff.Jobs)).WaitAsync(remaining, timeProvider, cancellationToken);
            }
            catch (TimeoutException)
            {
                timedOut = true;
            }
            catch (OperationCanceledException)
            {
                cancelled = true;
            }

            if (handoff is not null && !handoff.TryClose())
            {
                // A submit holds this Pull: its answer comes right after its commit.
                IReadOnlyList<JobAssignment> handed;
                try
                {
                    handed = await handoff.Jobs.WaitAsync(context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    handoff.Abandon();
                    throw;
                }

                if (handed.Count > 0)
                {
                    return new PullResponse { Jobs = { handed } };
                }

                if (!cancelled)
                {
                    continue; // the submit leased nothing here (older work was queued): read the queue
                }
            }

            if (cancelled)
            {
                if (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
                {
                    RpcErrors.Unavailable("The control plane is shutting down; pull again.");
                }

                throw new OperationCanceledException(cancellationToken);
            }

            if (timedOut)
            {
                return response;
            }
        }
    }

    /// <summary>
    /// Leases up to <paramref name="maxJobs"/> of the agent's jobs and takes its cancellations, or
    /// answers empty without a read while the queue is known drained here (<see cref="AgentWakeups.IsDrained"/>).
    /// </summary>
    private async Task<PullResponse> ReadQueueAsync(Guid agentId, int maxJobs, CancellationToken cancellationToken)
    {
        if (maxJobs > 0 && wakeups.IsDrained(agentId))
        {
            return new PullResponse(); // read empty a moment ago and not woken since
        }

        var mark = wakeups.MarkRead(agentId);
        var (jobs, cancellations) = await queue.PullAsync(agentId, maxJobs, cancellationToken);
        if (jobs.Count < maxJobs && cancellations.Count == 0)
        {
            wakeups.ReadDrained(agentId, mark);
        }
        else
        {
            wakeups.ReadFound(agentId);
        }

        return new PullResponse { Jobs = { jobs }, CancelJobIds = { cancellations } };
    }

    public override async Task<StartResponse> Start(StartRequest request, ServerCallContext context)
    {
        var agent = await authenticator.AuthenticateAsync(context, touch: false, context.CancellationToken);
        var jobId = RpcErrors.ParseJobId(request.JobId);
        return new StartResponse { Proceed = await queue.StartAsync(agent.AgentId, jobId, request.Attempt, context.CancellationToken) };
    }

    public override async Task<AppendOutputResponse> AppendOutput(AppendOutputRequest request, ServerCallContext context)
    {
        var agent = await authenticator.AuthenticateAsync(context, touch: false, context.CancellationToken);
        var jobId = RpcErrors.ParseJobId(request.JobId);
        if (request.Chunks.Count > 10_000)
        {
            RpcErrors.InvalidArgument("At most 10,000 chunks per call.");
        }

        foreach (var chunk in request.Chunks)
        {
            if (chunk.Seq < 1)
            {
                RpcErrors.InvalidArgument($"Chunk seq {chunk.Seq} is invalid: seq starts at 1.");
            }

            if (chunk.Stream is not (OutputStream.Stdout or OutputStream.Stderr or OutputStream.System))
            {
                RpcErrors.InvalidArgument($"Chunk {chunk.Seq} has no valid stream.");
            }

            RpcErrors.RequireTimestamp(chunk.At, $"chunks[seq {chunk.Seq}].at");
        }

        var stop = await queue.AppendOutputAsync(agent.AgentId, jobId, request.Attempt, request.Chunks, context.CancellationToken);
        outputSignals.Notify(jobId);
        return new AppendOutputResponse { CancelRequested = stop };
    }

    public override async Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        var agent = await authenticator.AuthenticateAsync(context, touch: false, context.CancellationToken);
        if (request.RunningJobIds.Count > 10_000)
        {
            RpcErrors.InvalidArgument("At most 10,000 running job ids.");
        }

        var running = request.RunningJobIds.Select(id => RpcErrors.ParseJobId(id, "running_job_ids")).ToList();
        if (request.Stats is { } sample)
        {
            RpcErrors.RequireValidStats(sample);
        }

        var stats = request.Stats is null ? null : ProtoJson.Stats(request.Stats);
        var response = new HeartbeatResponse { HeartbeatIntervalMs = agentOptions.HeartbeatIntervalMs };
        response.CancelJobIds.AddRange(await queue.HeartbeatAsync(agent.AgentId, running, stats, context.CancellationToken));
        return response;
    }

    public override async Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context)
    {
        var agent = await authenticator.AuthenticateAsync(context, touch: false, context.CancellationToken);
        var jobId = RpcErrors.ParseJobId(request.JobId);
        var startedAt = RpcErrors.RequireTimestamp(request.StartedAt, "started_at");
        var finishedAt = RpcErrors.RequireTimestamp(request.FinishedAt, "finished_at");
        if (startedAt > finishedAt)
        {
            RpcErrors.InvalidArgument("started_at is after finished_at.");
        }

        if (request.OutputBytes is < 0 or > MaxReportedOutputBytes)
        {
            RpcErrors.InvalidArgument($"output_bytes must be between 0 and {MaxReportedOutputBytes} (got {request.OutputBytes}).");
        }

        if (request.Attempt < 1)
        {
            RpcErrors.InvalidArgument($"attempt must be 1 or more (got {request.Attempt}).");
        }

        var accepted = await queue.CompleteAsync(agent.AgentId, jobId, request, context.CancellationToken);
        outputSignals.Notify(jobId);
        return new CompleteResponse { Accepted = accepted };
    }
}
