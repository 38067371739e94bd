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

    /// <summary>Every Pull response carrying one of the operation's jobs (an operation fans out to many agents).</summary>
    public Tally Pulls { get; } = new();

    /// <summary>Every accepted Complete of one of the operation's jobs.</summary>
    public Tally Completions { get; } = new();
}

/// <summary>
/// Counts events of one operation's jobs and keeps the latest <see cref="System.Diagnostics.Stopwatch"/>
/// timestamp; <see cref="WhenCount"/> completes when a number is reached (whether before or after it is asked).
/// </summary>
internal sealed class Tally
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<long> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;
    private long _last;
    private int _target = int.MaxValue;

    /// <summary>Events counted so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Counts one event at timestamp <paramref name="at"/>.</summary>
    public void Add(long at)
    {
        lock (_lock)
        {
            _count++;
            _last = Math.Max(_last, at);
            if (_count >= _target)
            {
                _reached.TrySetResult(_last);
            }
        }
    }

    /// <summary>The timestamp of the event that made the count reach <paramref name="target"/> (the latest one counted by then).</summary>
    public Task<long> WhenCount(int target)
    {
        lock (_lock)
        {
            _target = target;
            if (_count >= target)
            {
                _reached.TrySetResult(_last);
            }
        }

        return _reached.Task;
    }
}
