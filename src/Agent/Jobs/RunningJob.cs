using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Jobs;

/// <summary>
/// One job attempt held by this agent, from assignment to Complete. Its <see cref="Token"/> is
/// cancelled by the control plane, by the assignment's deadline or by shutdown; the first
/// cause is kept in <see cref="Reason"/>.
/// </summary>
internal sealed class RunningJob : IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private readonly CancellationTokenSource? deadlineCancellation;
    private readonly CancellationTokenSource linked;
    private readonly TimeProvider timeProvider;
    private int reason = -1;

    /// <summary>Creates the job and arms its deadline timer.</summary>
    /// <param name="assignment">The assignment from Pull.</param>
    /// <param name="timeProvider">The clock for the deadline.</param>
    public RunningJob(JobAssignment assignment, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        Assignment = assignment;
        this.timeProvider = timeProvider;
        if (assignment.Deadline is { } deadline)
        {
            Deadline = deadline.ToDateTimeOffset();
            var remaining = Deadline.Value - timeProvider.GetUtcNow();
            deadlineCancellation = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, timeProvider);
            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation.Token, deadlineCancellation.Token);

            // Registered after the link: callbacks run last-registered first, so the reason is
            // recorded before the linked token (the executor's) is cancelled.
            deadlineCancellation.Token.Register(() => SetReason(JobCancelReason.Deadline));
        }
        else
        {
            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation.Token);
        }
    }

    /// <summary>The assignment.</summary>
    public JobAssignment Assignment { get; }

    /// <summary>The job id.</summary>
    public string JobId => Assignment.JobId;

    /// <summary>The attempt number.</summary>
    public int Attempt => Assignment.Attempt;

    /// <summary>The absolute deadline, or null when the assignment has none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The token handed to the executor.</summary>
    public CancellationToken Token => linked.Token;

    /// <summary>The runner's task; set when it is launched.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Why <see cref="Token"/> fired, or null when it has not. When the cause was not recorded
    /// (a race between timers), a passed deadline is TIMED_OUT and anything else a cancellation.
    /// </summary>
    public JobCancelReason? Reason
    {
        get
        {
            var value = Volatile.Read(ref reason);
            if (value >= 0)
            {
                return (JobCancelReason)value;
            }

            if (!Token.IsCancellationRequested)
            {
                return null;
            }

            return Deadline is { } deadline && timeProvider.GetUtcNow() >= deadline ? JobCancelReason.Deadline : JobCancelReason.ControlPlane;
        }
    }

    /// <summary>Cancels the job for <paramref name="cause"/> (the first cause wins).</summary>
    public void Cancel(JobCancelReason cause)
    {
        SetReason(cause);
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        linked.Dispose();
        deadlineCancellation?.Dispose();
        cancellation.Dispose();
    }

    private void SetReason(JobCancelReason cause) => Interlocked.CompareExchange(ref reason, (int)cause, -1);
}
