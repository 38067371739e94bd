using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Ops.Agent.Connection;
using Ops.Agent.Executors;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Polly;

namespace Ops.Agent.Jobs;

/// <summary>
/// A job's <see cref="IJobOutput"/>: buffers lines and sends them with AppendOutput in batches
/// (at most <see cref="FlushInterval"/> after the first pending line, or at once when
/// <see cref="FlushBytes"/> are pending), as chunks with <c>seq</c> 1, 2, 3… per job attempt;
/// consecutive lines of one stream share a chunk of at most <see cref="FlushBytes"/>. Output
/// beyond <see cref="MaxOutputBytes"/> is dropped (one system note says so) and reported as
/// truncated. Transient send failures are retried with backoff; <c>cancel_requested</c> cancels the
/// job; FAILED_PRECONDITION / NOT_FOUND mark the job gone (abandoned).
/// </summary>
internal sealed class JobOutputPump : IJobOutput
{
    /// <summary>Send as soon as this many bytes are pending: 64 KiB.</summary>
    public const int FlushBytes = 64 * 1024;

    /// <summary>Output kept per job attempt: 1 MiB.</summary>
    public const int MaxOutputBytes = 1024 * 1024;

    /// <summary>Longest time a line waits before it is sent: 100 ms.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly AgentServiceClient client;
    private readonly RunningJob job;
    private readonly ResiliencePipeline retry;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly CancellationToken hardStop;
    private readonly Lock gate = new();
    private readonly List<PendingChunk> pending = [];
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int pendingBytes;
    private long nextSeq = 1;
    private long acceptedBytes;
    private bool truncated;
    private bool completing;
    private bool gone;
    private Task pump = Task.CompletedTask;

    /// <summary>Creates the pump; call <see cref="Start"/> before writing.</summary>
    public JobOutputPump(
        AgentServiceClient client,
        RunningJob job,
        ResiliencePipeline retry,
        TimeProvider timeProvider,
        ILogger logger,
        CancellationToken hardStop)
    {
        this.client = client;
        this.job = job;
        this.retry = retry;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.hardStop = hardStop;
    }

    /// <summary>Bytes of output accepted for sending (reported as <c>output_bytes</c>).</summary>
    public long OutputBytes
    {
        get
        {
            lock (gate)
            {
                return acceptedBytes;
            }
        }
    }

    /// <summary>Whether output was dropped past <see cref="MaxOutputBytes"/> (<c>output_truncated</c>).</summary>
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
        var data = Encoding.UTF8.GetBytes(line + "\n");
        lock (gate)
        {
            if (completing || gone)
            {
                return;
            }

            if (acceptedBytes + data.Length > MaxOutputBytes)
            {
                if (!truncated)
                {
                    truncated = true;
                    Append(OutputStream.System, Encoding.UTF8.GetBytes($"[ops-agent] output truncated: the limit is {MaxOutputBytes} bytes per job\n"));
                }

                return;
            }

            acceptedBytes += data.Length;
            Append(stream, data);
        }
    }

    /// <summary>
    /// Stops accepting output, sends what is pending and waits for the sender to finish (or for
    /// the hard-stop token). Rethrows an UNAUTHENTICATED failure.
    /// </summary>
    public async Task CompleteAsync()
    {
        lock (gate)
        {
            completing = true;
            wake.TrySetResult();
        }

        await pump.ConfigureAwait(false);
    }

    private void Append(OutputStream stream, byte[] data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var last = pending.Count > 0 ? pending[^1] : null;
            if (last is null || last.Stream != stream || last.Data.Length >= FlushBytes)
            {
                last = new PendingChunk(stream, new MemoryStream(), timeProvider.GetUtcNow());
                pending.Add(last);
            }

            var take = Math.Min(FlushBytes - (int)last.Data.Length, data.Length - offset);
            last.Data.Write(data, offset, take);
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
                async token => await client.AppendOutputAsync(request, timeProvider.GetUtcNow() + CallTimeout, token).ConfigureAwait(false),
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
}
