using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Ops.Agent.Connection;
using Ops.Agent.Executors;
using Ops.Agent.Redaction;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Polly;

namespace Ops.Agent.Jobs;

/// <summary>
/// A job's <see cref="IJobOutput"/>: redacts every line (<see cref="IRedactor"/>), buffers lines and
/// sends them with AppendOutput in batches (at most <see cref="FlushInterval"/> after the first
/// pending line, or at once when <see cref="FlushBytes"/> are pending), as chunks with <c>seq</c> 1,
/// 2, 3… per job attempt; consecutive lines of one stream share a chunk of at most
/// <see cref="FlushBytes"/>. Output is bounded by <c>Agent:MaxOutputBytes</c> (default
/// <see cref="DefaultMaxOutputBytes"/>): the first half (the head) is sent live; past it the output
/// goes to a ring holding the last half (the tail), sent when the job ends after a system note
/// telling how many bytes of the middle were dropped (then <c>output_truncated</c>). Memory stays
/// within the limit plus one block whatever the job prints; <see cref="OutputBytes"/> counts
/// everything. Transient send failures are retried with backoff; <c>cancel_requested</c> cancels
/// the job; FAILED_PRECONDITION / NOT_FOUND mark the job gone (abandoned).
/// </summary>
internal sealed class JobOutputPump : IJobOutput
{
    /// <summary>Send as soon as this many bytes are pending: 64 KiB.</summary>
    public const int FlushBytes = 64 * 1024;

    /// <summary>Output kept per job attempt unless configured: 1 MiB.</summary>
    public const int DefaultMaxOutputBytes = 1024 * 1024;

    /// <summary>Longest time a line waits before it is sent: 100 ms.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly AgentService.AgentServiceClient client;
    private readonly RunningJob job;
    private readonly ResiliencePipeline retry;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly CancellationToken hardStop;
    private readonly IRedactor redactor;
    private readonly int headLimit;
    private readonly int tailLimit;
    private readonly Lock gate = new();
    private readonly List<PendingChunk> pending = [];
    private readonly LinkedList<TailSegment> tail = new();
    private readonly StreamRedaction[] redaction = [new(), new(), new(), new()];
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int pendingBytes;
    private long nextSeq = 1;
    private long totalBytes;
    private long headBytes;
    private long tailBytes;
    private long droppedBytes;
    private bool headClosed;
    private bool truncated;
    private bool completing;
    private bool gone;
    private Task pump = Task.CompletedTask;

    /// <summary>Creates the pump; call <see cref="Start"/> before writing.</summary>
    public JobOutputPump(
        AgentService.AgentServiceClient client,
        RunningJob job,
        ResiliencePipeline retry,
        TimeProvider timeProvider,
        ILogger logger,
        IRedactor redactor,
        int maxOutputBytes,
        CancellationToken hardStop)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOutputBytes, 2);
        this.redactor = redactor;
        headLimit = maxOutputBytes / 2;
        tailLimit = maxOutputBytes - headLimit;
        this.client = client;
        this.job = job;
        this.retry = retry;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.hardStop = hardStop;
    }

    /// <summary>Bytes the job printed, after redaction, kept or not (reported as <c>output_bytes</c>).</summary>
    public long OutputBytes
    {
        get
        {
            lock (gate)
            {
                return totalBytes;
            }
        }
    }

    /// <summary>Whether the middle of the output was dropped to keep it within the limit (<c>output_truncated</c>).</summary>
    public bool Truncated
    {
        get
        {
            lock (gate)
            {
                return truncated;
            }
        }
    }

    /// <summary>Whether the control plane answered FAILED_PRECONDITION / NOT_FOUND: the attempt is no longer ours.</summary>
    public bool JobGone
    {
        get
        {
            lock (gate)
            {
                return gone;
            }
        }
    }

    /// <summary>Starts the background sender.</summary>
    public void Start() => pump = Task.Run(PumpAsync, CancellationToken.None);

    /// <inheritdoc />
    public void WriteLine(OutputStream stream, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        WriteLines(stream, line.Contains('\n', StringComparison.Ordinal) ? line : line + "\n");
    }

    /// <inheritdoc />
    public void WriteLines(OutputStream stream, string lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (!lines.EndsWith('\n'))
        {
            lines += "\n";
        }

        var state = redaction[(int)stream & 3];
        byte[] data;
        lock (state)
        {
            data = Encoding.UTF8.GetBytes(redactor.RedactLines(lines, ref state.InsidePrivateKey));
        }

        if (data.Length == 0)
        {
            return;
        }

        lock (gate)
        {
            if (completing || gone)
            {
                return;
            }

            totalBytes += data.Length;
            var offset = 0;
            if (!headClosed)
            {
                var fits = (int)Math.Min(data.Length, headLimit - headBytes);
                if (fits < data.Length)
                {
                    // Close the head at the last line end that fits, so it ends on a whole line.
                    fits = fits > 0 ? data.AsSpan(0, fits).LastIndexOf((byte)'\n') + 1 : 0;
                    headClosed = true;
                }

                if (fits > 0)
                {
                    headBytes += fits;
                    Append(stream, data.AsSpan(0, fits));
                }

                offset = fits;
            }

            if (offset < data.Length)
            {
                KeepInTail(stream, data, offset);
            }
        }
    }

    /// <summary>
    /// Stops accepting output, sends what is pending and the tail (after a note on what was
    /// dropped) and waits for the sender to finish (or for the hard-stop token). Rethrows an
    /// UNAUTHENTICATED failure.
    /// </summary>
    public async Task CompleteAsync()
    {
        Seal();
        await pump.ConfigureAwait(false);
    }

    /// <summary>
    /// Stops accepting output and queues the tail (after the truncation note); after it
    /// <see cref="OutputBytes"/> and <see cref="Truncated"/> are final. Idempotent.
    /// </summary>
    public void Seal()
    {
        lock (gate)
        {
            if (!completing)
            {
                completing = true;
                if (droppedBytes > 0)
                {
                    truncated = true;
                    Append(OutputStream.System, Encoding.UTF8.GetBytes(
                        $"[ops-agent] output truncated: {droppedBytes} bytes of {totalBytes} omitted here; the first {headBytes} and the last {tailBytes} bytes are kept (limit {headLimit + tailLimit} bytes per job)\n"));
                }

                foreach (var segment in tail)
                {
                    Append(segment.Stream, segment.Data.AsSpan(segment.Offset), segment.At);
                }

                tail.Clear();
            }

            wake.TrySetResult();
        }
    }

    /// <summary>Adds the bytes past the head to the tail ring, dropping its oldest bytes beyond the tail limit (called under the gate).</summary>
    private void KeepInTail(OutputStream stream, byte[] data, int offset)
    {
        var at = timeProvider.GetUtcNow();
        var segment = new TailSegment(stream, data, at) { Offset = offset };
        tail.AddLast(segment);
        tailBytes += data.Length - offset;
        while (tailBytes > tailLimit && tail.First is { } first)
        {
            var excess = tailBytes - tailLimit;
            var length = first.Value.Data.Length - first.Value.Offset;
            if (length <= excess)
            {
                tail.RemoveFirst();
                tailBytes -= length;
                droppedBytes += length;
                continue;
            }

            // Drop the start of the oldest segment, up to the next line end so the tail starts on a whole line.
            var cut = (int)excess;
            var newline = first.Value.Data.AsSpan(first.Value.Offset + cut).IndexOf((byte)'\n');
            if (newline >= 0 && newline + 1 < length - cut)
            {
                cut += newline + 1;
            }

            first.Value.Offset += cut;
            tailBytes -= cut;
            droppedBytes += cut;
        }
    }

    private void Append(OutputStream stream, ReadOnlySpan<byte> data, DateTimeOffset? at = null)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var last = pending.Count > 0 ? pending[^1] : null;
            if (last is null || last.Stream != stream || last.Data.Length >= FlushBytes)
            {
                last = new PendingChunk(stream, new MemoryStream(), at ?? timeProvider.GetUtcNow());
                pending.Add(last);
            }

            var take = Math.Min(FlushBytes - (int)last.Data.Length, data.Length - offset);
            last.Data.Write(data.Slice(offset, take));
            offset += take;
        }

        pendingBytes += data.Length;
        wake.TrySetResult();
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            Task signal;
            lock (gate)
            {
                signal = wake.Task;
            }

            await signal.WaitAsync(hardStop).ConfigureAwait(false);

            bool flushNow;
            lock (gate)
            {
                flushNow = completing || pendingBytes >= FlushBytes;
            }

            if (!flushNow)
            {
                await Task.Delay(FlushInterval, timeProvider, hardStop).ConfigureAwait(false);
            }

            List<OutputChunk> batch;
            bool done;
            lock (gate)
            {
                batch = pending.Select(p => new OutputChunk
                {
                    Seq = nextSeq++,
                    Stream = p.Stream,
                    Data = ByteString.CopyFrom(p.Data.GetBuffer(), 0, (int)p.Data.Length),
                    At = Timestamp.FromDateTimeOffset(p.At),
                }).ToList();
                pending.Clear();
                pendingBytes = 0;

                wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                done = completing;
                if (done)
                {
                    wake.TrySetResult();
                }
            }

            if (batch.Count > 0 && !JobGone)
            {
                await SendAsync(batch).ConfigureAwait(false);
            }

            lock (gate)
            {
                if (done && pending.Count == 0)
                {
                    return;
                }
            }
        }
    }

    private async Task SendAsync(List<OutputChunk> batch)
    {
        var request = new AppendOutputRequest { JobId = job.JobId, Attempt = job.Attempt };
        request.Chunks.AddRange(batch);
        try
        {
            var response = await retry.ExecuteAsync(
                async token => await client.AppendOutputAsync(request, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: token).ConfigureAwait(false),
                hardStop).ConfigureAwait(false);
            if (response.CancelRequested)
            {
                JobsLog.CancelRequestedByOutput(logger, job.JobId, job.Attempt);
                job.Cancel(JobCancelReason.ControlPlane);
            }
        }
        catch (Exception ex) when (RpcErrors.IsJobGone(ex))
        {
            JobsLog.JobGone(logger, job.JobId, job.Attempt, "AppendOutput", RpcErrors.Describe(ex));
            lock (gate)
            {
                gone = true;
                pending.Clear();
            }

            job.Cancel(JobCancelReason.Abandoned);
        }
        catch (Exception ex) when (!RpcErrors.IsUnauthenticated(ex) && ex is not OperationCanceledException)
        {
            JobsLog.OutputDropped(logger, job.JobId, job.Attempt, batch.Count, RpcErrors.Describe(ex));
        }
    }

    /// <summary>A chunk being filled: consecutive bytes of one stream, first written at <paramref name="At"/>.</summary>
    private sealed record PendingChunk(OutputStream Stream, MemoryStream Data, DateTimeOffset At);

    /// <summary>Bytes kept for the tail: <c>Data[Offset..]</c> of one stream, first written at <paramref name="At"/>.</summary>
    private sealed record TailSegment(OutputStream Stream, byte[] Data, DateTimeOffset At)
    {
        public int Offset { get; set; }
    }

    /// <summary>Redaction state of one output stream (a private key block spanning writes).</summary>
    private sealed class StreamRedaction
    {
        public bool InsidePrivateKey;
    }
}
