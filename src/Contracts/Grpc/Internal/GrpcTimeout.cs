using System.Globalization;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>
/// The <c>grpc-timeout</c> header: TimeoutValue (positive integer, at most 8 ASCII digits) followed by
/// TimeoutUnit H (hours), M (minutes), S (seconds), m (milliseconds), u (microseconds), n (nanoseconds)
/// (PROTOCOL-HTTP2.md "Requests").
/// </summary>
internal static class GrpcTimeout
{
    public const long MaxValue = 99_999_999;

    private const long NanosecondsPerTick = 100;

    /// <summary>Parses a header value; false for anything outside the grammar (empty, 9+ digits, unknown unit, sign, spaces).</summary>
    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (value is null || value.Length is < 2 or > 9)
        {
            return false;
        }

        var digits = value.AsSpan(0, value.Length - 1);
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        var amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        timeout = value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromTicks(amount * 10),
            'n' => TimeSpan.FromTicks((amount + NanosecondsPerTick - 1) / NanosecondsPerTick),
            _ => TimeSpan.MinValue,
        };

        if (timeout == TimeSpan.MinValue)
        {
            timeout = default;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Formats a positive timeout in the finest unit whose value fits in 8 digits, rounding up so the
    /// server never sees a shorter deadline than the client. Non-positive values format as <c>1n</c>.
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return "1n";
        }

        var ticks = timeout.Ticks;
        if (ticks <= MaxValue / NanosecondsPerTick)
        {
            return Compose(ticks * NanosecondsPerTick, 'n');
        }

        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (10, 'u'),
            (TimeSpan.TicksPerMillisecond, 'm'),
            (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'),
            (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach (var (ticksPerUnit, unit) in units)
        {
            var amount = (ticks / ticksPerUnit) + (ticks % ticksPerUnit == 0 ? 0 : 1);
            if (amount <= MaxValue)
            {
                return Compose(amount, unit);
            }
        }

        return Compose(MaxValue, 'H');
    }

    private static string Compose(long amount, char unit) =>
        amount.ToString(CultureInfo.InvariantCulture) + unit;
}
