using Microsoft.Extensions.Logging;
using Ops.Agent.Hosting;
using Ops.Agent.Jobs;
using Ops.Agent.Telemetry;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Connection;

/// <summary>
/// Sends a Heartbeat at once and then every <see cref="AgentSession.HeartbeatInterval"/>
/// (from Enroll or the latest Heartbeat response; 10 s by default) with the held job ids and a
/// <see cref="HostStatsSampler"/> sample; applies the response's <c>cancel_job_ids</c> and
/// interval. Failures are logged and the next beat is sent on schedule; UNAUTHENTICATED is fatal.
/// </summary>
internal sealed class HeartbeatLoop(
    AgentService.AgentServiceClient client,
    RunningJobs jobs,
    HostStatsSampler sampler,
    AgentSession session,
    TimeProvider timeProvider,
    ILogger<HeartbeatLoop> logger)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Beats until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="AgentFatalException">The control plane answered UNAUTHENTICATED.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var request = new HeartbeatRequest { Stats = sampler.Sample() };
                request.RunningJobIds.AddRange(jobs.JobIds());
                var response = await client.HeartbeatAsync(request, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                session.UpdateHeartbeatInterval(response.HeartbeatIntervalMs);
                foreach (var jobId in response.CancelJobIds)
                {
                    ConnectionLog.CancelRequested(logger, jobId, jobs.Cancel(jobId, JobCancelReason.ControlPlane));
                }

                ConnectionLog.HeartbeatSent(logger, request.RunningJobIds.Count, session.HeartbeatInterval.TotalMilliseconds);
            }
            catch (Exception ex) when (RpcErrors.IsUnauthenticated(ex))
            {
                throw new AgentFatalException(
                    AgentExitCodes.Unauthenticated,
                    "The control plane rejected the agent token on Heartbeat (UNAUTHENTICATED): this agent was revoked or is unknown to it. "
                    + "The identity file was kept; to re-enroll, delete it and start the agent with a new Agent:EnrollmentToken.",
                    ex);
            }
            catch (Exception ex) when (RpcErrors.IsCancellation(ex, cancellationToken))
            {
                return;
            }
            catch (Exception ex)
            {
                ConnectionLog.HeartbeatFailed(logger, RpcErrors.Describe(ex));
            }

            try
            {
                await Task.Delay(session.HeartbeatInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
