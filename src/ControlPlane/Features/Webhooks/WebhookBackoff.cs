using System.Globalization;
using System.Net.Http.Headers;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// When to try a failed delivery again: exponential backoff (<c>RetryBaseDelay · 2^(attempt−1)</c>,
/// at most <c>RetryMaxDelay</c>) with "equal jitter" (half fixed, half random, AWS Architecture
/// Blog "Exponential Backoff and Jitter"), or the receiver's <c>Retry-After</c> (RFC 9110 §10.2.3:
/// seconds or an HTTP date) when it sent one. Never later than the end of the retry window, so the
/// last attempt happens at the window's end.
/// </summary>
internal static class WebhookBackoff
{
    /// <summary>The next attempt's time, or <c>null</c> when the window is over (give up).</summary>
    /// <param name="options">Base and maximum delay, retry window.</param>
    /// <param name="attempt">The attempt that just failed, from 1.</param>
    /// <param name="createdAt">When the delivery was queued: the retry window starts then.</param>
    /// <param name="now">The current time.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> header of the answer, if any.</param>
    /// <param name="random">A uniform random number in [0, 1) for the jitter.</param>
    public static DateTimeOffset? Next(WebhooksOptions options, int attempt, DateTimeOffset createdAt, DateTimeOffset now, RetryConditionHeaderValue? retryAfter, double random)
    {
        var windowEnd = createdAt + options.RetryWindow;
        if (now >= windowEnd)
        {
            return null;
        }

        TimeSpan delay;
        if (RetryAfter(retryAfter, now) is { } requested)
        {
            delay = requested;
        }
        else
        {
            var exponential = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
            var capped = Math.Min(exponential, options.RetryMaxDelay.TotalMilliseconds);
            delay = TimeSpan.FromMilliseconds((capped / 2) + (random * capped / 2));
        }

        var next = now + delay;
        return next > windowEnd ? windowEnd : next;
    }

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } when delta >= TimeSpan.Zero => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Formats a delay for logs, in seconds.</summary>
    public static string Seconds(TimeSpan delay) => delay.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
}
