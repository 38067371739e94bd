using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Hosting;
using Ops.Agent.Jobs;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Polly;

namespace Ops.Agent.Connection;

/// <summary>
/// The downlink (DESIGN.md §4): keeps exactly one Pull outstanding. Each Pull asks for the free
/// slots (<c>max_jobs</c> = MaxConcurrentJobs − held; 0 when busy, so cancellations still arrive)
/// and waits up to <c>PullWaitMs</c>, with a deadline of <c>wait_ms</c> + 10 s. A Pull with
/// <c>max_jobs = 0</c> is re-issued as soon as a slot frees (it cannot have leased anything).
/// Failures reconnect with <see cref="ReconnectBackoff"/>; UNAUTHENTICATED is fatal.
/// </summary>
internal sealed class PullLoop
{
    private static readonly TimeSpan DeadlineMargin = TimeSpan.FromSeconds(10);

    private readonly AgentService.AgentServiceClient client;
    private readonly RunningJobs jobs;
    private readonly JobRunner runner;
    private readonly AgentOptions options;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<PullLoop> logger;
    private readonly ResiliencePipeline reconnect;
    private readonly TaskCompletionSource firstPullSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the loop.</summary>
    public PullLoop(
        AgentService.AgentServiceClient client,
        RunningJobs jobs,
        JobRunner runner,
        IOptions<AgentOptions> options,
        ReconnectBackoff backoff,
        TimeProvider timeProvider,
        ILogger<PullLoop> logger)
    {
        this.client = client;
        this.jobs = jobs;
        this.runner = runner;
        this.options = options.Value;
        this.timeProvider = timeProvider;
        this.logger = logger;
        reconnect = backoff.Create("Pull", static ex => !RpcErrors.IsUnauthenticated(ex));
    }

    /// <summary>Completes when the first Pull since start is sent (start-up is over).</summary>
    public Task FirstPullSent => firstPullSent.Task;

    /// <summary>Pulls until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="AgentFatalException">The control plane answered UNAUTHENTICATED.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var (freeSlots, slotFreed) = jobs.Snapshot();
            using var pullCancellation = freeSlots == 0
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, slotFreed)
                : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var request = new PullRequest { MaxJobs = freeSlots, WaitMs = options.PullWaitMs };
            PullResponse response;
            try
            {
                response = await reconnect.ExecuteAsync(
                    async token =>
                    {
                        ConnectionLog.Pulling(logger, request.MaxJobs, request.WaitMs);
                        if (firstPullSent.TrySetResult())
                        {
                            // Information, once: operators see the agent connected; ./ops bench times start → first Pull on it.
                            ConnectionLog.FirstPull(logger, options.ControlPlaneUrl);
                        }

                        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(request.WaitMs) + DeadlineMargin;
                        return await client.PullAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false);
                    },
                    pullCancellation.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (RpcErrors.IsUnauthenticated(ex))
            {
                throw new AgentFatalException(
                    AgentExitCodes.Unauthenticated,
                    "The control plane rejected the agent token (UNAUTHENTICATED): this agent was revoked or is unknown to it. "
                    + "The identity file was kept; to re-enroll, delete it and start the agent with a new Agent:EnrollmentToken.",
                    ex);
            }
            catch (Exception ex) when (RpcErrors.IsCancellation(ex, pullCancellation.Token))
            {
                // Stopping, or a slot freed while a max_jobs=0 Pull waited: pull again with the new slot count.
                continue;
            }

            ConnectionLog.Pulled(logger, response.Jobs.Count, response.CancelJobIds.Count);
            Apply(response);
        }
    }

    private void Apply(PullResponse response)
    {
        foreach (var jobId in response.CancelJobIds)
        {
            ConnectionLog.CancelRequested(logger, jobId, jobs.Cancel(jobId, JobCancelReason.ControlPlane));
        }

        foreach (var assignment in response.Jobs)
        {
            runner.Launch(assignment);
        }
    }
}
