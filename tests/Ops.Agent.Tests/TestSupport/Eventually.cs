namespace Ops.Agent.Tests.TestSupport;

/// <summary>Polls a condition until it holds or a generous timeout passes (no timing assertions).</summary>
public static class Eventually
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    public static async Task<T> ValueAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var until = DateTime.UtcNow + (timeout ?? Generous);
        while (DateTime.UtcNow < until)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"Timed out waiting for {what}.");
    }

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        await ValueAsync(() => condition() ? string.Empty : null, what, timeout);
    }
}
