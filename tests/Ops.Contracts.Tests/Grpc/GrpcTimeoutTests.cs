using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Tests.Grpc;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("30S", 300_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("1500u", 15_000L)]
    [InlineData("100n", 1L)]
    [InlineData("150n", 2L)]
    [InlineData("0m", 0L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void TryParse_WithValidValue_ReturnsTimeout(string value, long expectedTicks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(expectedTicks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("10x")]
    [InlineData("-1S")]
    [InlineData("+1S")]
    [InlineData(" 1S")]
    [InlineData("1 S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void TryParse_WithInvalidValue_ReturnsFalse(string value) =>
        Assert.False(GrpcTimeout.TryParse(value, out _));

    [Theory]
    [InlineData(1L, "100n")]
    [InlineData(999_999L, "99999900n")]
    [InlineData(1_000_000L, "100000u")]
    [InlineData(50_000_000L, "5000000u")]
    [InlineData(1_000_000_000L, "100000000u")]
    public void Format_PicksTheFinestUnitThatFitsEightDigits(long ticks, string expectedOrPrefix)
    {
        var formatted = GrpcTimeout.Format(TimeSpan.FromTicks(ticks));
        Assert.True(formatted.Length <= 9, formatted);
        if (expectedOrPrefix.Length <= 9)
        {
            Assert.Equal(expectedOrPrefix, formatted);
        }
    }

    [Theory]
    [InlineData(0.0001)]
    [InlineData(1.5)]
    [InlineData(30)]
    [InlineData(3_600)]
    [InlineData(86_400 * 400)]
    [InlineData(86_400.0 * 365 * 1000)]
    public void Format_ThenParse_NeverShortensAndStaysWithinEightDigits(double seconds)
    {
        var timeout = TimeSpan.FromSeconds(seconds);
        var formatted = GrpcTimeout.Format(timeout);

        Assert.InRange(formatted.Length, 2, 9);
        Assert.True(GrpcTimeout.TryParse(formatted, out var parsed), formatted);
        Assert.True(parsed >= timeout, $"{formatted} -> {parsed} < {timeout}");
        Assert.True(parsed - timeout <= TimeSpan.FromTicks(Math.Max(timeout.Ticks / 1_000_000, 10)) || formatted.EndsWith('H'), formatted);
    }

    [Fact]
    public void Format_WithNonPositiveTimeout_ReturnsOneNanosecond() =>
        Assert.Equal("1n", GrpcTimeout.Format(TimeSpan.Zero));
}
