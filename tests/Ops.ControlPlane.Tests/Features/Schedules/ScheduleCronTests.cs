using Ops.ControlPlane.Features.Schedules;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>Expressions, zones and jitter of schedules, as Cronos evaluates them (DESIGN.md §13).</summary>
public sealed class ScheduleCronTests
{
    [Theory]
    [InlineData("0 2 * * *", true)]
    [InlineData("*/10 * * * * *", true)]
    [InlineData("0 0 1 * *", true)]
    [InlineData("@daily", true)]
    [InlineData("0 1 * * SUN", true)]
    [InlineData("0 2 * *", false)]
    [InlineData("0 0 2 * * * *", false)]
    [InlineData("0 25 * * *", false)]
    [InlineData("", false)]
    public void TryParse_AcceptsFiveOrSixFieldsAndMacrosOnly(string text, bool valid)
    {
        Assert.Equal(valid, ScheduleCron.TryParse(text, out _, out var error));
        Assert.Equal(valid, error.Length == 0);
    }

    [Theory]
    [InlineData("UTC", true)]
    [InlineData("Europe/Paris", true)]
    [InlineData("America/New_York", true)]
    [InlineData("Romance Standard Time", false)]
    [InlineData("CET-ish", false)]
    public void TryFindZone_AcceptsIanaZonesOnly(string id, bool known) => Assert.Equal(known, ScheduleCron.TryFindZone(id, out _));

    [Fact]
    public void NextRuns_OfAnHourlyCollector_AreEveryThreeHoursInUtc()
    {
        Assert.True(ScheduleCron.TryParse("0 */3 * * *", out var expression, out _));
        var runs = ScheduleCron.NextRuns(expression, TimeZoneInfo.Utc, new DateTimeOffset(2026, 6, 10, 10, 30, 0, TimeSpan.Zero), 3);

        Assert.Equal([12, 15, 18], runs.Select(r => r.Hour));
        Assert.All(runs, r => Assert.Equal(TimeSpan.Zero, r.Offset));
    }

    [Fact]
    public void ShortestGap_OfASixFieldExpression_IsItsFastestInterval()
    {
        Assert.True(ScheduleCron.TryParse("0,2 * * * * *", out var expression, out _));
        Assert.Equal(TimeSpan.FromSeconds(2), ScheduleCron.ShortestGap(expression, TimeZoneInfo.Utc, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Jitter_IsStableWithinItsBoundAndDiffersBetweenSlots()
    {
        var id = Guid.CreateVersion7();
        var slots = Enumerable.Range(0, 200).Select(i => DateTimeOffset.UnixEpoch.AddHours(i)).ToList();
        var delays = slots.Select(s => ScheduleCron.Jitter(id, s, 30)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(30)));
        Assert.Equal(delays, slots.Select(s => ScheduleCron.Jitter(id, s, 30)));
        Assert.True(delays.Distinct().Count() > 100);
        Assert.Equal(TimeSpan.Zero, ScheduleCron.Jitter(id, slots[0], 0));
    }
}
