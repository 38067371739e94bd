using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Connection;
using Ops.Agent.Identity;
using Ops.Agent.Jobs;
using Ops.Agent.Policy;

namespace Ops.Agent.Hosting;

/// <summary>
/// The agent's hosted service: obtains the identity (enrolling on the first start), then runs
/// the <see cref="HeartbeatLoop"/> and the <see cref="PullLoop"/> until the host stops, and
/// re-sends the completions left in the result spool by a previous run. On stop
/// (SIGTERM, Ctrl-C, or a fatal error) it stops pulling, cancels the running jobs and gives them
/// <see cref="ShutdownGrace"/> to report (Complete CANCELLED), then stops heart-beating.
/// </summary>
internal sealed class AgentWorker(
    EnrollmentService enrollment,
    PullLoop pullLoop,
    HeartbeatLoop heartbeatLoop,
    JobRunner runner,
    RunningJobs jobs,
    AgentLifetime lifetime,
    IOptions<AgentOptions> options,
    AgentCapabilities capabilities,
    TimeProvider timeProvider,
    ILogger<AgentWorker> logger) : BackgroundService
{
    /// <summary>
    /// Once the first Pull is out, one blocking compacting collection that returns the free heap to
    /// the OS (<see cref="GCCollectionMode.Aggressive"/>): start-up (configuration, DI, gRPC, the
    /// Enroll call) allocates megabytes that are garbage afterwards, and an agent then idles on its
    /// Pull for hours, so without it the idle process keeps the start-up heap resident (issue 14:
    /// idle RSS; docs/deployment.md has the measurements). A pause of a few ms, once.
    /// </summary>
    private async Task CompactAfterStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await pullLoop.FirstPullSent.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>How long running jobs get to finish and report on shutdown: 10 s.</summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var pullStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var heartbeatStop = new CancellationTokenSource();
        Task heartbeat = Task.CompletedTask;
        Task pull = Task.CompletedTask;
        Task resend = Task.CompletedTask;
        try
        {
            var identity = await enrollment.EnsureIdentityAsync(stoppingToken).ConfigureAwait(false);
            var agent = options.Value;
            HostingLog.Started(logger, identity.AgentId, agent.Hostname, AgentVersion.Current, agent.ControlPlaneUrl, string.Join(", ", capabilities.Kinds));
            if (capabilities.Unsupported.Count > 0)
            {
                HostingLog.UnsupportedKinds(logger, string.Join(", ", capabilities.Unsupported));
            }

            heartbeat = heartbeatLoop.RunAsync(heartbeatStop.Token);
            pull = pullLoop.RunAsync(pullStop.Token);
            _ = CompactAfterStartAsync(pullStop.Token);
            resend = ResendSpooledAsync(pullStop.Token);
            var first = await Task.WhenAny(pull, heartbeat).ConfigureAwait(false);
            await first.ConfigureAwait(false);
        }
        catch (AgentFatalException ex)
        {
            lifetime.Fail(ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException && stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
        catch (Exception ex)
        {
            HostingLog.UnexpectedFailure(logger, ex);
            lifetime.Fail(new AgentFatalException(AgentExitCodes.Failure, ex.Message, ex));
        }
        finally
        {
            await pullStop.CancelAsync().ConfigureAwait(false);
            await pull.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await resend.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await DrainAsync().ConfigureAwait(false);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            HostingLog.Stopped(logger);
        }
    }

    /// <summary>Re-sends the result spool of a previous run next to the pull loop (the spool stays for the next start if stopped).</summary>
    private async Task ResendSpooledAsync(CancellationToken cancellationToken)
    {
        try
        {
            await runner.ResendSpooledAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HostingLog.SpoolResendFailed(logger, ex.Message);
        }
    }

    private async Task DrainAsync()
    {
        var count = jobs.Count;
        if (count > 0)
        {
            HostingLog.Draining(logger, count, ShutdownGrace.TotalSeconds);
        }

        var running = jobs.CancelAll(JobCancelReason.Shutdown);
        try
        {
            await Task.WhenAll(running).WaitAsync(ShutdownGrace, timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            HostingLog.DrainTimedOut(logger, jobs.Count);
        }
        finally
        {
            jobs.StopHard();
        }
    }
}
