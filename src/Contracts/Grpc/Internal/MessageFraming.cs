using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>
/// Length-Prefixed-Message framing (PROTOCOL-HTTP2.md "Requests"): Compressed-Flag (1 byte, 0 or 1),
/// Message-Length (4 bytes, unsigned big-endian), Message. Reading never allocates more than the
/// bytes actually received (buffers grow as data arrives) and never more than the configured limit.
/// </summary>
internal static class MessageFraming
{
    public const int HeaderSize = 5;

    private const int InitialBufferSize = 64 * 1024;

    /// <summary>
    /// Reads one message. Returns null when the stream ends cleanly before a message starts.
    /// </summary>
    /// <exception cref="GrpcProtocolException">
    /// INTERNAL for a truncated prefix or body or an invalid flag; RESOURCE_EXHAUSTED when the declared
    /// length exceeds <paramref name="maxMessageSize"/> (checked before reading the body).
    /// </exception>
    public static async ValueTask<ReceivedMessage?> ReadMessageAsync(Stream stream, int maxMessageSize, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        var read = await stream.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderSize)
        {
            throw new GrpcProtocolException(StatusCode.Internal, "Incomplete message: the length prefix is truncated.");
        }

        var flag = header[0];
        if (flag > 1)
        {
            throw new GrpcProtocolException(StatusCode.Internal, $"Invalid compressed flag {flag} (must be 0 or 1).");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > (uint)Math.Max(0, maxMessageSize))
        {
            throw new GrpcProtocolException(
                StatusCode.ResourceExhausted,
                $"Received message exceeds the maximum configured message size ({length} > {maxMessageSize} bytes).");
        }

        var payload = await ReadExactlyGrowingAsync(stream, (int)length, cancellationToken).ConfigureAwait(false);
        return new ReceivedMessage(flag == 1, payload);
    }

    /// <summary>Succeeds only if the stream has no more bytes (unary calls carry exactly one message).</summary>
    /// <exception cref="GrpcProtocolException">INTERNAL when more data follows.</exception>
    public static async ValueTask EnsureEndOfStreamAsync(Stream stream, string what, CancellationToken cancellationToken)
    {
        var probe = new byte[1];
        if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new GrpcProtocolException(StatusCode.Internal, $"Unary call carried more than one {what} message.");
        }
    }

    /// <summary>Serializes <paramref name="message"/> as an uncompressed Length-Prefixed-Message.</summary>
    /// <exception cref="GrpcProtocolException">RESOURCE_EXHAUSTED when the message exceeds <paramref name="maxMessageSize"/>.</exception>
    public static byte[] Frame(IMessage message, int maxMessageSize, string direction)
    {
        var size = message.CalculateSize();
        if (size > maxMessageSize)
        {
            throw new GrpcProtocolException(
                StatusCode.ResourceExhausted,
                $"{direction} message exceeds the maximum configured message size ({size} > {maxMessageSize} bytes).");
        }

        var frame = new byte[HeaderSize + size];
        WriteHeader(frame, compressed: false, size);
        message.WriteTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>Writes the 5-byte prefix.</summary>
    public static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }

    /// <summary>Frames raw bytes (used by tests and the gzip path).</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, bool compressed)
    {
        var frame = new byte[HeaderSize + payload.Length];
        WriteHeader(frame, compressed, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>Gzip-decompresses <paramref name="payload"/>, stopping as soon as the output exceeds the limit.</summary>
    /// <exception cref="GrpcProtocolException">RESOURCE_EXHAUSTED when too large; INTERNAL when the data is not valid gzip.</exception>
    public static byte[] DecompressGzip(byte[] payload, int maxMessageSize)
    {
        try
        {
            using var input = new MemoryStream(payload, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            var buffer = new byte[Math.Min(Math.Max(payload.Length * 4, 256), Math.Max(maxMessageSize, 0) + 1)];
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > maxMessageSize)
                    {
                        break;
                    }

                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)maxMessageSize + 1));
                }

                var n = gzip.Read(buffer, total, buffer.Length - total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            if (total > maxMessageSize)
            {
                throw new GrpcProtocolException(
                    StatusCode.ResourceExhausted,
                    $"Decompressed message exceeds the maximum configured message size ({maxMessageSize} bytes).");
            }

            return buffer.AsSpan(0, total).ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new GrpcProtocolException(StatusCode.Internal, "Failed to decompress message: " + ex.Message);
        }
    }

    /// <summary>Gzip-compresses a payload (tests and future use).</summary>
    public static byte[] CompressGzip(ReadOnlySpan<byte> payload)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(payload);
        }

        return output.ToArray();
    }

    private static async ValueTask<byte[]> ReadExactlyGrowingAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(length, InitialBufferSize)];
        var total = 0;
        while (total < length)
        {
            if (total == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, length));
            }

            var n = await stream.ReadAsync(buffer.AsMemory(total, buffer.Length - total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new GrpcProtocolException(
                    StatusCode.Internal,
                    $"Incomplete message: expected {length} bytes, the stream ended after {total}.");
            }

            total += n;
        }

        return buffer;
    }
}
