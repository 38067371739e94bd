using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// The scheduler loop (DESIGN.md §13): handles what is due through <see cref="ScheduleRunner"/>,
/// then sleeps on the injected <see cref="TimeProvider"/> until the next due slot of any schedule,
/// or until <see cref="ScheduleSignal"/> wakes it (a schedule changed, a slot's run ended — on this
/// replica or another, through <c>NOTIFY ops_schedules</c>). Never polls: the only periodic wake-ups
/// are the hour cap of a sleep, and a short wait while another replica holds a due schedule.
/// </summary>
internal sealed class Scheduler(ScheduleRunner runner, ScheduleSignal signal, TimeProvider timeProvider, ILogger<Scheduler> logger) : BackgroundService
{
    /// <summary>Longest sleep, so a schedule is re-evaluated at least hourly whatever happened to the clock.</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromHours(1);

    /// <summary>Wait while a due schedule is held by another replica (it notifies when it commits).</summary>
    public static readonly TimeSpan ContendedWait = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = signal.Subscribe();
            TimeSpan sleep;
            try
            {
                await runner.RunDueAsync(stoppingToken);
                var next = await runner.NextDueAsync(stoppingToken);
                var untilNext = next is { } due ? due - timeProvider.GetUtcNow() : MaxSleep;
                sleep = untilNext <= TimeSpan.Zero ? ContendedWait : untilNext > MaxSleep ? MaxSleep : untilNext;
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever failed (the database, one schedule's data), the loop retries with backoff:
                // a failed pass must never stop the host or the other schedules.
                ScheduleLog.PassFailed(logger, ex, backoff.TotalMilliseconds);
                sleep = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }

            using var sleeping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(sleep, timeProvider, sleeping.Token);
            await Task.WhenAny(wake, timer);
            await sleeping.CancelAsync();
            await timer.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
