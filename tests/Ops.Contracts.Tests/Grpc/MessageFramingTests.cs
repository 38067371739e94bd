using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;
using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Tests.Grpc;

public sealed class MessageFramingTests
{
    [Fact]
    public void Frame_WritesFlagAndBigEndianLength()
    {
        var message = new EnrollRequest { Hostname = "h" };

        var frame = MessageFraming.Frame(message, 1024, "Sending");

        var size = message.CalculateSize();
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)size }, frame[..5]);
        Assert.Equal(5 + size, frame.Length);
        Assert.Equal(message, EnrollRequest.Parser.ParseFrom(frame[5..]));
    }

    [Fact]
    public void Frame_WhenMessageExceedsLimit_ThrowsResourceExhausted()
    {
        var message = new EnrollRequest { Hostname = new string('h', 100) };

        var ex = Assert.Throws<GrpcProtocolException>(() => MessageFraming.Frame(message, 50, "Sending"));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Read_WithOneMessage_ReturnsPayloadThenEndOfStream()
    {
        using var stream = new MemoryStream(MessageFraming.Frame([1, 2, 3], compressed: false));

        var message = await MessageFraming.ReadMessageAsync(stream, 10, CancellationToken.None);

        Assert.NotNull(message);
        Assert.False(message.IsCompressed);
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Payload);
        Assert.Null(await MessageFraming.ReadMessageAsync(stream, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Read_WithEmptyMessage_ReturnsEmptyPayload()
    {
        using var stream = new MemoryStream(MessageFraming.Frame([], compressed: false));

        var message = await MessageFraming.ReadMessageAsync(stream, 0, CancellationToken.None);

        Assert.NotNull(message);
        Assert.Empty(message.Payload);
    }

    [Fact]
    public async Task Read_WithDataSplitIntoOneByteChunks_ReassemblesTheMessage()
    {
        var payload = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray();
        using var stream = new TrickleStream(MessageFraming.Frame(payload, compressed: true));

        var message = await MessageFraming.ReadMessageAsync(stream, payload.Length, CancellationToken.None);

        Assert.NotNull(message);
        Assert.True(message.IsCompressed);
        Assert.Equal(payload, message.Payload);
    }

    [Theory]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0 })]
    public async Task Read_WithTruncatedPrefix_ThrowsInternal(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);

        var ex = await Assert.ThrowsAsync<GrpcProtocolException>(() => MessageFraming.ReadMessageAsync(stream, 100, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Read_WithLengthLargerThanBody_ThrowsInternal()
    {
        using var stream = new MemoryStream([0, 0, 0, 0, 10, 1, 2, 3]);

        var ex = await Assert.ThrowsAsync<GrpcProtocolException>(() => MessageFraming.ReadMessageAsync(stream, 100, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Read_WithInvalidCompressedFlag_ThrowsInternal()
    {
        using var stream = new MemoryStream([2, 0, 0, 0, 0]);

        var ex = await Assert.ThrowsAsync<GrpcProtocolException>(() => MessageFraming.ReadMessageAsync(stream, 100, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Read_WithHugeDeclaredLength_ThrowsResourceExhaustedWithoutReadingTheBody()
    {
        using var stream = new TrickleStream([0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]);

        var ex = await Assert.ThrowsAsync<GrpcProtocolException>(() => MessageFraming.ReadMessageAsync(stream, 4 * 1024 * 1024, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(5, stream.Position);
    }

    [Fact]
    public async Task EnsureEndOfStream_WithSecondMessage_ThrowsInternal()
    {
        var two = MessageFraming.Frame([1], false).Concat(MessageFraming.Frame([2], false)).ToArray();
        using var stream = new MemoryStream(two);
        await MessageFraming.ReadMessageAsync(stream, 10, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<GrpcProtocolException>(() => MessageFraming.EnsureEndOfStreamAsync(stream, "request", CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public void DecompressGzip_RoundTripsAndEnforcesTheLimitOnTheDecompressedSize()
    {
        var payload = new byte[100_000];
        var compressed = MessageFraming.CompressGzip(payload);

        Assert.Equal(payload, MessageFraming.DecompressGzip(compressed, payload.Length));
        var ex = Assert.Throws<GrpcProtocolException>(() => MessageFraming.DecompressGzip(compressed, payload.Length - 1));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void DecompressGzip_WithGarbage_ThrowsInternal()
    {
        var ex = Assert.Throws<GrpcProtocolException>(() => MessageFraming.DecompressGzip([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1000));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    /// <summary>A stream that returns at most one byte per read.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(1, count), cancellationToken);
    }
}
