namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>
/// How long a background loop sleeps until its next due time: at least <c>minimum</c> (never a
/// busy loop), at most <see cref="MaxSleep"/> (a due time far away, or a clock that jumped, must
/// not exceed what a timer accepts; the loop wakes, finds nothing due and sleeps again).
/// </summary>
internal static class DueTime
{
    /// <summary>Longest single sleep: 1 hour.</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromHours(1);

    public static TimeSpan Until(DateTimeOffset due, DateTimeOffset now, TimeSpan minimum)
    {
        var delay = due - now;
        return delay < minimum ? minimum : delay > MaxSleep ? MaxSleep : delay;
    }
}
