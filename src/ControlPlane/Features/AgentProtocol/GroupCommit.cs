using System.Threading.Channels;
using Npgsql;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Group commit of agent writes (issue 14): concurrent requests of one kind (Start, Complete, the
/// leases of Pulls) from all agents are coalesced into one database transaction per flush, and
/// each caller gets its answer only after that transaction committed. A flush takes every request
/// waiting when it begins, up to <see cref="MaxBatch"/>: with nothing else waiting a request is
/// flushed alone at once by its caller (no added latency, no thread hand-off), under load requests
/// gather while the <see cref="Flushers"/> flushes in flight run, which is where batching pays. A flush that hits a
/// deadlock or a serialization failure (SQLSTATE 40P01, 40001) runs again, up to three times; any
/// other failure fails every request of the flush with that exception (transient database errors
/// become UNAVAILABLE in <see cref="AgentErrorInterceptor"/>, which agents retry). A request's own
/// refusal (an <see cref="Grpc.Core.RpcException"/> for that job) fails only that request.
/// </summary>
/// <typeparam name="TRequest">One caller's request.</typeparam>
/// <typeparam name="TResult">Its answer.</typeparam>
internal sealed class GroupCommit<TRequest, TResult> : IAsyncDisposable
{
    /// <summary>Most requests in one flush.</summary>
    public const int MaxBatch = 256;

    /// <summary>Flushes of this kind in flight at once (each its own connection and transaction).</summary>
    public const int Flushers = 3;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Func<IReadOnlyList<Pending>, CancellationToken, Task> _flush;
    private readonly Task[] _loops;
    private int _inline;
    private Task _inlineFlush = Task.CompletedTask;
    private volatile bool _disposed;

    /// <param name="flush">
    /// Writes a batch in one transaction and completes each request (<see cref="Pending.Succeed"/> or
    /// <see cref="Pending.Fail"/>) only after its commit; throwing fails the requests not completed yet.
    /// </param>
    public GroupCommit(Func<IReadOnlyList<Pending>, CancellationToken, Task> flush)
    {
        _flush = flush;
        _loops = Enumerable.Range(0, Flushers).Select(_ => Task.Run(RunAsync)).ToArray();
    }

    /// <summary>
    /// Writes <paramref name="request"/> and waits until its flush committed. When nothing is
    /// queued and no inline flush runs, the caller flushes its request itself, on its own thread
    /// (no hand-off to a flusher and back: the idle path's latency); otherwise the request is queued
    /// for the next flush of a <see cref="Flushers"/> loop. So at most <see cref="Flushers"/> + 1
    /// flushes of a kind run at once.
    /// </summary>
    public async Task<TResult> SubmitAsync(TRequest request)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pending = new Pending(request);
        if (_queue.Reader.Count == 0 && Interlocked.CompareExchange(ref _inline, 1, 0) == 0)
        {
            try
            {
                var flush = FlushAsync([pending]);
                Volatile.Write(ref _inlineFlush, flush);
                await flush;
            }
            finally
            {
                Volatile.Write(ref _inline, 0);
            }

            return await pending.Task;
        }

        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommit<TRequest, TResult>));
        }

        return await pending.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count > 0)
            {
                await FlushAsync(batch);
            }
        }
    }

    /// <summary>One flush with its retries; every request of it is answered when this returns.</summary>
    private async Task FlushAsync(IReadOnlyList<Pending> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _flush(batch, CancellationToken.None);
                break;
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
            }
            catch (Exception e)
            {
                foreach (var pending in batch)
                {
                    pending.Fail(e);
                }

                break;
            }
        }

        // A flush that forgot a request must not leave its caller waiting forever.
        foreach (var pending in batch)
        {
            pending.Fail(new InvalidOperationException("The group commit left this request unanswered."));
        }
    }

    /// <summary>Answers each request of a flush after its commit: its refusal, or its result.</summary>
    public static void AnswerAll(IReadOnlyList<Pending> batch, IReadOnlyList<(TResult Result, Exception? Error)> answers)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (answers[i].Error is { } error)
            {
                batch[i].Fail(error);
            }
            else
            {
                batch[i].Succeed(answers[i].Result);
            }
        }
    }

    /// <summary>Stops accepting requests (later ones throw <see cref="ObjectDisposedException"/>) and waits for the flushes in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
        // An inline flush that began before the flag was set: wait for it (the yield covers the
        // instant between taking the flag and publishing its task).
        while (Volatile.Read(ref _inline) != 0)
        {
            await Volatile.Read(ref _inlineFlush);
            await Task.Yield();
        }
    }

    /// <summary>One caller's request and the answer it waits for.</summary>
    internal sealed class Pending(TRequest request)
    {
        private readonly TaskCompletionSource<TResult> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The request.</summary>
        public TRequest Request { get; } = request;

        /// <summary>The caller's wait.</summary>
        public Task<TResult> Task => _answer.Task;

        /// <summary>Answers the caller (call after commit); later answers are ignored.</summary>
        public void Succeed(TResult result) => _answer.TrySetResult(result);

        /// <summary>Fails the caller with <paramref name="error"/>; ignored when already answered.</summary>
        public void Fail(Exception error) => _answer.TrySetException(error);
    }
}
