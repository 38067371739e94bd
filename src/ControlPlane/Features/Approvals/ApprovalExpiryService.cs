using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// Ends pending approvals <c>expired</c> when their <c>expiresAt</c> passes (DESIGN.md §14). Not a
/// polling loop: it expires what is due, then sleeps on the injected <see cref="TimeProvider"/>
/// until the earliest pending expiry, or until <see cref="ApprovalSignal"/> reports a new request
/// (from any replica, through <c>LISTEN ops_approvals</c>). Safe with several replicas: each
/// approval is claimed with <c>FOR UPDATE SKIP LOCKED</c>; when another transaction holds a due
/// one, it looks again after <see cref="RetryDelay"/> in case that transaction rolls back.
/// </summary>
internal sealed class ApprovalExpiryService(
    ApprovalStore store, ApprovalSignal signal, TimeProvider timeProvider, ILogger<ApprovalExpiryService> logger) : BackgroundService
{
    /// <summary>Delay before looking again after a failure, or while another transaction holds a due approval.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Longest single sleep, so a changed wall clock is noticed within this time.</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = signal.Subscribe();
            DateTimeOffset? wakeAt;
            try
            {
                var (expired, heldElsewhere, checkedAt) = await store.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                {
                    ApprovalsLog.Expired(logger, expired);
                }

                wakeAt = await store.NextExpiryAsync(checkedAt, stoppingToken);
                if (heldElsewhere)
                {
                    var retryAt = timeProvider.GetUtcNow() + RetryDelay;
                    wakeAt = wakeAt is { } w && w < retryAt ? w : retryAt;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A database outage, or a target that failed on one approval: logged, retried; the host keeps running.
                ApprovalsLog.ExpiryFailed(logger, ex);
                wakeAt = timeProvider.GetUtcNow() + RetryDelay;
            }

            try
            {
                if (wakeAt is { } due)
                {
                    using var disarm = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    var timer = Task.Delay(Clamp(due - timeProvider.GetUtcNow()), timeProvider, disarm.Token);
                    // The clock may have passed `due` while the timer was being armed: look again at once.
                    if (timeProvider.GetUtcNow() < due)
                    {
                        await Task.WhenAny(woken, timer).WaitAsync(stoppingToken);
                    }

                    await disarm.CancelAsync();
                }
                else
                {
                    await woken.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static TimeSpan Clamp(TimeSpan delay) => delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxSleep ? MaxSleep : delay;
}
