using System.Security.Cryptography;
using System.Text;
using Cronos;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Cron expressions and time zones of schedules (DESIGN.md §13), parsed and evaluated by Cronos:
/// 5 fields (<c>minute hour day-of-month month day-of-week</c>), or 6 with seconds first, or a
/// Cronos macro (<c>@daily</c>, <c>@hourly</c> …). Daylight-saving changes follow Cronos: a local
/// time that does not exist runs at the next valid time, a repeated local time runs once (interval
/// expressions such as <c>*/15</c> run in both offsets).
/// </summary>
internal static class ScheduleCron
{
    /// <summary>The time zone when none is given.</summary>
    public const string DefaultTimeZone = "UTC";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string? text, out CronExpression expression, out string error)
    {
        expression = null!;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "A cron expression is required, e.g. \"0 2 * * *\" (02:00 every day).";
            return false;
        }

        var trimmed = text.Trim();
        var fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        if (!trimmed.StartsWith('@') && fields is not (5 or 6))
        {
            error = $"A cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; '{trimmed}' has {fields}.";
            return false;
        }

        try
        {
            expression = CronExpression.Parse(trimmed, format);
        }
        catch (CronFormatException ex)
        {
            error = $"Invalid cron expression '{trimmed}': {ex.Message}";
            return false;
        }

        return true;
    }

    /// <summary>True when <paramref name="text"/> has the seconds field (6 fields).</summary>
    public static bool HasSeconds(string text) =>
        text.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length == 6;

    /// <summary>
    /// An IANA time zone (<c>Europe/Paris</c>, <c>UTC</c>); Windows ids and abbreviations are refused
    /// so the same schedule means the same thing on every host.
    /// </summary>
    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || id.Length > 100)
        {
            return false;
        }

        if (id == DefaultTimeZone)
        {
            return true;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return zone.HasIanaId;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    /// <summary>The first slot strictly after <paramref name="after"/>, in UTC, or <c>null</c> when the expression never fires again.</summary>
    public static DateTimeOffset? Next(CronExpression expression, TimeZoneInfo zone, DateTimeOffset after) =>
        expression.GetNextOccurrence(after, zone, inclusive: false)?.ToUniversalTime();

    /// <summary>The next <paramref name="count"/> slots strictly after <paramref name="after"/>, in UTC.</summary>
    public static IReadOnlyList<DateTimeOffset> NextRuns(CronExpression expression, TimeZoneInfo zone, DateTimeOffset after, int count)
    {
        var runs = new List<DateTimeOffset>(count);
        var cursor = after;
        while (runs.Count < count && expression.GetNextOccurrence(cursor, zone, inclusive: false) is { } next)
        {
            runs.Add(next.ToUniversalTime());
            cursor = next;
        }

        return runs;
    }

    /// <summary>
    /// The shortest gap between consecutive slots among the next <paramref name="samples"/> after
    /// <paramref name="from"/>; <c>null</c> when it fires at most once.
    /// </summary>
    public static TimeSpan? ShortestGap(CronExpression expression, TimeZoneInfo zone, DateTimeOffset from, int samples = 1000)
    {
        TimeSpan? shortest = null;
        var runs = NextRuns(expression, zone, from, samples);
        for (var i = 1; i < runs.Count; i++)
        {
            var gap = runs[i] - runs[i - 1];
            if (shortest is null || gap < shortest)
            {
                shortest = gap;
            }
        }

        return shortest;
    }

    /// <summary>
    /// The stable delay of one slot under <c>jitterSeconds</c>: 0 ≤ delay ≤ jitter, derived from the
    /// schedule id and the slot time (SHA-256), so every replica computes the same due time.
    /// </summary>
    public static TimeSpan Jitter(Guid scheduleId, DateTimeOffset slotAt, int jitterSeconds)
    {
        if (jitterSeconds <= 0)
        {
            return TimeSpan.Zero;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{scheduleId:N}/{slotAt.UtcTicks}")));
        var milliseconds = BitConverter.ToUInt64(hash, 0) % (ulong)(jitterSeconds * 1000L + 1);
        return TimeSpan.FromMilliseconds(milliseconds);
    }
}
