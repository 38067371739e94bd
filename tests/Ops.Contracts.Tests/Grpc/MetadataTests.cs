using Ops.Contracts.Grpc;
using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Tests.Grpc;

public sealed class MetadataTests
{
    [Fact]
    public void Add_LowerCasesKeysAndKeepsOrderAndDuplicates()
    {
        var metadata = new Metadata { { "X-Trace", "a" }, { "x-other", "b" }, { "x-trace", "c" } };

        Assert.Equal(["x-trace", "x-other", "x-trace"], metadata.Select(e => e.Key));
        Assert.Equal("c", metadata.Get("X-TRACE"));
        Assert.Equal(["a", "c"], metadata.GetAll("x-trace").Select(e => e.Value));
        Assert.Null(metadata.Get("missing"));
    }

    [Fact]
    public void Add_WithBinaryKey_StoresBytes()
    {
        var metadata = new Metadata { { "x-data-bin", new byte[] { 0, 1, 2, 255 } } };

        Assert.Equal(new byte[] { 0, 1, 2, 255 }, metadata.GetBytes("x-data-bin"));
        Assert.True(metadata.Single().IsBinary);
        Assert.Throws<ArgumentException>(() => metadata.Get("x-data-bin"));
    }

    [Theory]
    [InlineData("x-data-bin", "text")]
    [InlineData("grpc-status", "0")]
    [InlineData(":path", "/x")]
    [InlineData("bad key", "v")]
    [InlineData("x-ok", "non-ascii ü")]
    [InlineData("x-ok", "new\nline")]
    public void Add_WithInvalidAsciiEntry_Throws(string key, string value) =>
        Assert.Throws<ArgumentException>(() => new Metadata { { key, value } });

    [Fact]
    public void Add_WithBytesForAsciiKey_Throws() =>
        Assert.Throws<ArgumentException>(() => new Metadata { { "x-data", new byte[] { 1 } } });

    [Theory]
    [InlineData("AAEC/w", new byte[] { 0, 1, 2, 255 })]
    [InlineData("AAEC/w==", new byte[] { 0, 1, 2, 255 })]
    [InlineData("AA", new byte[] { 0 })]
    [InlineData("", new byte[0])]
    public void TryDecodeBase64_AcceptsPaddedAndUnpadded(string value, byte[] expected)
    {
        Assert.True(MetadataHeaders.TryDecodeBase64(value, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void AddReceived_SplitsCommaSeparatedBinaryValuesAndDropsInvalidOnes()
    {
        var metadata = new Metadata();

        MetadataHeaders.AddReceived(metadata, "x-data-bin", "AQ, Ag==,!!!");
        MetadataHeaders.AddReceived(metadata, "x-text", "  padded  ");
        MetadataHeaders.AddReceived(metadata, "grpc-status", "0");
        MetadataHeaders.AddReceived(metadata, "content-type", "application/grpc");
        MetadataHeaders.AddReceived(metadata, "authorization", "Bearer t");

        Assert.Equal(new[] { new byte[] { 1 }, new byte[] { 2 } }, metadata.GetAll("x-data-bin").Select(e => e.ValueBytes));
        Assert.Equal("padded", metadata.Get("x-text"));
        Assert.Equal("Bearer t", metadata.Get("authorization"));
        Assert.Equal(4, metadata.Count);
    }

    [Fact]
    public void ToWireValue_EmitsUnpaddedBase64ForBinary()
    {
        var entry = new Metadata.Entry("x-data-bin", [0, 1, 2, 255]);

        Assert.Equal("AAEC/w", MetadataHeaders.ToWireValue(entry));
    }
}
