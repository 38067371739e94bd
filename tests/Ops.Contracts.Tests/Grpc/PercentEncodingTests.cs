using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Tests.Grpc;

public sealed class PercentEncodingTests
{
    [Theory]
    [InlineData("plain ASCII message", "plain ASCII message")]
    [InlineData("100%", "100%25")]
    [InlineData("ü", "%C3%BC")]
    [InlineData("line\nbreak\t", "line%0Abreak%09")]
    [InlineData("\u007f", "%7F")]
    [InlineData("✓", "%E2%9C%93")]
    [InlineData("😀", "%F0%9F%98%80")]
    public void Encode_EscapesBytesOutsidePrintableAsciiAndPercent(string value, string expected) =>
        Assert.Equal(expected, PercentEncoding.Encode(value));

    [Theory]
    [InlineData("")]
    [InlineData("Fehler ü ✓ 100% sicher: 日本語 😀 %41 \r\n end")]
    [InlineData("%%%")]
    [InlineData("~ !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}")]
    public void Encode_ThenDecode_RoundTrips(string value)
    {
        var encoded = PercentEncoding.Encode(value);

        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(value, PercentEncoding.Decode(encoded));
    }

    [Theory]
    [InlineData("%zz", "%zz")]
    [InlineData("50%", "50%")]
    [InlineData("%4", "%4")]
    [InlineData("%41%4", "A%4")]
    [InlineData("%c3%bc", "ü")]
    public void Decode_WithBrokenOrLowerCaseEscapes_NeverThrows(string value, string expected) =>
        Assert.Equal(expected, PercentEncoding.Decode(value));

    [Fact]
    public void Decode_WithInvalidUtf8_UsesReplacementCharacter() =>
        Assert.Equal("a\uFFFDb", PercentEncoding.Decode("a%FFb"));
}
