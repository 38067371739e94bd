using Ops.Agent.Connection;

namespace Ops.Agent.Tests.Connection;

public sealed class ReconnectBackoffTests
{
    [Theory]
    [InlineData(0, 200)]
    [InlineData(1, 400)]
    [InlineData(2, 800)]
    [InlineData(7, 25_600)]
    [InlineData(8, 30_000)]
    [InlineData(1_000, 30_000)]
    public void Ceiling_DoublesFrom200MsAndCapsAt30S(int attempt, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ReconnectBackoff.Ceiling(attempt));

    [Fact]
    public void FullJitterDelay_IsUniformBetweenZeroAndTheCeiling()
    {
        Assert.Equal(TimeSpan.Zero, ReconnectBackoff.FullJitterDelay(3, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(800), ReconnectBackoff.FullJitterDelay(3, 0.5));
        for (var attempt = 0; attempt < 20; attempt++)
        {
            Assert.InRange(ReconnectBackoff.FullJitterDelay(attempt, Random.Shared.NextDouble()), TimeSpan.Zero, ReconnectBackoff.Ceiling(attempt));
        }
    }
}
