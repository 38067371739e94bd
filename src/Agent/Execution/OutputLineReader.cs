using System.Text;
using Ops.Agent.Executors;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Execution;

/// <summary>
/// Copies a process's stdout or stderr pipe into an <see cref="IJobOutput"/> as blocks of whole
/// lines, with a fixed 64 KiB buffer (two reads) whatever the volume (a program printing 200 MB costs no more
/// memory than one printing 2 KB). A line longer than <see cref="MaxLineBytes"/> is cut into
/// pieces at a UTF-8 character boundary; a last line without a newline is completed.
/// </summary>
internal static class OutputLineReader
{
    /// <summary>
    /// Longest line kept whole, and the most read at once, in bytes: 32 KiB, so the strings made
    /// from a block (64 KiB of UTF-16) stay out of the large object heap.
    /// </summary>
    public const int MaxLineBytes = 32 * 1024;

    /// <summary>Reads <paramref name="pipe"/> to its end.</summary>
    /// <param name="pipe">The redirected stdout or stderr stream.</param>
    /// <param name="stream">The output stream the lines belong to.</param>
    /// <param name="output">The job's output.</param>
    /// <param name="cancellationToken">Abandons the read (the pipe is left unread).</param>
    public static async Task CopyAsync(Stream pipe, OutputStream stream, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new byte[2 * MaxLineBytes];
        var filled = 0;
        while (true)
        {
            var read = await pipe.ReadAsync(buffer.AsMemory(filled, MaxLineBytes), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (filled > 0)
                {
                    output.WriteLines(stream, Encoding.UTF8.GetString(buffer, 0, filled));
                }

                return;
            }

            filled += read;

            // Only the first line can be too long: it may have started in what was left from the
            // previous read; every later line lies within this read (at most MaxLineBytes).
            while (true)
            {
                var firstNewline = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
                if (firstNewline > MaxLineBytes || (firstNewline < 0 && filled >= MaxLineBytes))
                {
                    Emit(buffer, ref filled, CutPoint(buffer), stream, output);
                    continue;
                }

                break;
            }

            var lastNewline = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n');
            if (lastNewline >= 0)
            {
                Emit(buffer, ref filled, lastNewline + 1, stream, output);
            }
        }
    }

    /// <summary>Where to cut an overlong line: at <see cref="MaxLineBytes"/>, moved back so no UTF-8 sequence is split.</summary>
    private static int CutPoint(byte[] buffer)
    {
        var cut = MaxLineBytes;
        while (cut > MaxLineBytes - 4 && (buffer[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return cut;
    }

    private static void Emit(byte[] buffer, ref int filled, int count, OutputStream stream, IJobOutput output)
    {
        output.WriteLines(stream, Encoding.UTF8.GetString(buffer, 0, count));
        Buffer.BlockCopy(buffer, count, buffer, 0, filled - count);
        filled -= count;
    }
}
