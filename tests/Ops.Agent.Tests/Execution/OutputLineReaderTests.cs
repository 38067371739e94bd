using System.Text;
using Ops.Agent.Execution;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Execution;

public sealed class OutputLineReaderTests
{
    /// <summary>A pipe that hands out its bytes in the given read sizes, as a busy pipe does.</summary>
    private sealed class ChunkedStream(byte[] data, int[] reads) : Stream
    {
        private int _position;
        private int _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var size = Math.Min(count, Math.Min(_read < reads.Length ? reads[_read] : count, data.Length - _position));
            _read++;
            Array.Copy(data, _position, buffer, offset, size);
            _position += size;
            return size;
        }
    }

    [Fact]
    public async Task ALineSpanningTwoReads_IsStillCutAtTheLimit()
    {
        // 20,000 bytes, then 30,000 more of the same line and its newline in the next read.
        var data = Encoding.ASCII.GetBytes(new string('x', 50_000) + "\ny");
        var output = new RecordingOutput();

        await OutputLineReader.CopyAsync(new ChunkedStream(data, [20_000, 30_001, 10]), OutputStream.Stdout, output, CancellationToken.None);

        var lines = output.Of(OutputStream.Stdout);
        Assert.All(lines, l => Assert.True(l.Length <= OutputLineReader.MaxLineBytes, $"a line of {l.Length} bytes"));
        Assert.Equal(50_000, lines.Take(lines.Count - 1).Sum(l => l.Length));
        Assert.Equal("y", lines[^1]);
    }

    [Fact]
    public async Task MultiByteCharacters_AreNeverSplitAtTheCut()
    {
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("é✓", 20_000)) + "\n");
        var output = new RecordingOutput();

        await OutputLineReader.CopyAsync(new ChunkedStream(data, [7_777, 32_768, 32_768, 32_768]), OutputStream.Stdout, output, CancellationToken.None);

        var text = string.Concat(output.Of(OutputStream.Stdout));
        Assert.DoesNotContain('\uFFFD', text);
        Assert.Equal(string.Concat(Enumerable.Repeat("é✓", 20_000)), text);
    }
}
