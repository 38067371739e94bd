namespace Ops.Benchmarks;

/// <summary>
/// When a simulated agent saw one operation's job, as <see cref="System.Diagnostics.Stopwatch"/>
/// timestamps: its Pull response arrived, its Start response arrived, its Complete was accepted.
/// Either side may create the entry first (an agent can finish before the submitter reads its 202).
/// </summary>
internal sealed class JobTimes
{
    /// <summary>Set when the Pull response carrying the job arrives.</summary>
    public TaskCompletionSource<long> Pulled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the Start response (proceed) arrives.</summary>
    public TaskCompletionSource<long> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the Complete response says <c>accepted</c>: the result is stored, the job is <c>succeeded</c>.</summary>
    public TaskCompletionSource<long> Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
