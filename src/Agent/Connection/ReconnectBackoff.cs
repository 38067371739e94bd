using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Ops.Agent.Connection;

/// <summary>
/// Builds the agent's retry pipelines (Polly.Core <see cref="ResiliencePipeline"/> with a
/// <see cref="RetryStrategyOptions"/>): unlimited attempts, exponential backoff from
/// <see cref="BaseDelay"/> doubling up to <see cref="MaxDelay"/>, with "full jitter" (AWS
/// Architecture Blog, "Exponential Backoff and Jitter": a uniform delay in
/// <c>[0, min(cap, base·2^attempt)]</c>). Polly's own <c>UseJitter</c> uses decorrelated jitter,
/// so the delay comes from <see cref="FullJitterDelay"/> through <c>DelayGenerator</c>. Each
/// execution starts from attempt 0, so the backoff resets after every success. Cancellation of
/// the caller's token is never retried.
/// </summary>
internal sealed class ReconnectBackoff(TimeProvider timeProvider, ILogger<ReconnectBackoff> logger)
{
    /// <summary>The first retry's delay ceiling: 200 ms.</summary>
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>The delay cap: 30 s.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Source of the jitter, uniform in [0, 1); replaceable so tests can pin the delays.</summary>
    public Func<double> Randomizer { get; init; } = Random.Shared.NextDouble;

    /// <summary>The delay ceiling before retry number <paramref name="attempt"/> (0-based): <c>min(30 s, 200 ms · 2^attempt)</c>.</summary>
    public static TimeSpan Ceiling(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var milliseconds = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        return TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, milliseconds));
    }

    /// <summary>The full-jitter delay: <paramref name="random"/> (in [0, 1)) times <see cref="Ceiling"/>.</summary>
    public static TimeSpan FullJitterDelay(int attempt, double random) =>
        TimeSpan.FromMilliseconds(Ceiling(attempt).TotalMilliseconds * Math.Clamp(random, 0, 1));

    /// <summary>Creates a pipeline that retries failures matching <paramref name="shouldRetry"/> forever (until cancelled).</summary>
    /// <param name="operation">The operation's name in the retry log.</param>
    /// <param name="shouldRetry">Which exceptions to retry; others propagate at once.</param>
    public ResiliencePipeline Create(string operation, Func<Exception, bool> shouldRetry)
    {
        ArgumentNullException.ThrowIfNull(shouldRetry);
        var options = new RetryStrategyOptions
        {
            Name = operation,
            MaxRetryAttempts = int.MaxValue,
            // The whole delay (exponential, capped, full jitter) comes from DelayGenerator.
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } exception
                && exception is not OperationCanceledException
                && !args.Context.CancellationToken.IsCancellationRequested
                && shouldRetry(exception)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(FullJitterDelay(args.AttemptNumber, Randomizer())),
            OnRetry = args =>
            {
                ConnectionLog.Retrying(
                    logger,
                    operation,
                    args.AttemptNumber + 1,
                    args.RetryDelay.TotalMilliseconds,
                    args.Outcome.Exception is { } ex ? RpcErrors.Describe(ex) : "no exception");
                return ValueTask.CompletedTask;
            },
        };

        return new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddRetry(options).Build();
    }
}
