using Ops.ControlPlane.Features.AgentProtocol;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// <see cref="GroupCommit{TRequest, TResult}"/> on its own, with a flush the test controls: an idle
/// request is flushed by its caller alone, requests that arrive while a flush runs are gathered
/// into one later flush, each caller gets its own answer, and a disposed group commit refuses new
/// requests. No timing is asserted: the test waits on the flush's own signals.
/// </summary>
public sealed class GroupCommitQueueTests
{
    [Fact]
    public async Task IdleRequest_IsFlushedAloneOnItsCallersFlow()
    {
        var flushes = new List<int>();
        await using var group = new GroupCommit<int, int>((batch, _) =>
        {
            lock (flushes)
            {
                flushes.Add(batch.Count);
            }

            GroupCommit<int, int>.AnswerAll(batch, batch.Select(p => (p.Request * 10, (Exception?)null)).ToList());
            return Task.CompletedTask;
        });

        var task = group.SubmitAsync(4);

        // The flush ran before SubmitAsync returned: the caller flushed its own request.
        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(40, await task);
        Assert.Equal([1], flushes);
    }

    [Fact]
    public async Task RequestsArrivingDuringAFlush_AreGatheredIntoOneLaterFlushAndEachGetsItsOwnAnswer()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushes = new List<int[]>();
        await using var group = new GroupCommit<int, int>(async (batch, _) =>
        {
            lock (flushes)
            {
                flushes.Add(batch.Select(p => p.Request).ToArray());
            }

            if (batch.Any(p => p.Request == 0))
            {
                firstStarted.TrySetResult();
            }

            // Every flush is held until the test releases them: nothing is answered before that.
            await release.Task;
            GroupCommit<int, int>.AnswerAll(batch, batch.Select(p => (p.Request + 100, p.Request == 3 ? (Exception?)new InvalidOperationException("refused") : null)).ToList());
        });

        var first = Task.Run(() => group.SubmitAsync(0));
        await firstStarted.Task;
        // The first flush holds its caller (the inline flush); these go to the queue, taken by the loops.
        var others = Enumerable.Range(1, 5).Select(group.SubmitAsync).ToList();
        Assert.All(others, t => Assert.False(t.IsCompleted));
        release.SetResult();

        Assert.Equal(100, await first);
        Assert.Equal(101, await others[0]);
        Assert.Equal(102, await others[1]);
        Assert.Equal("refused", (await Assert.ThrowsAsync<InvalidOperationException>(() => others[2])).Message);
        Assert.Equal(104, await others[3]);
        Assert.Equal(105, await others[4]);
        lock (flushes)
        {
            Assert.Equal([0], flushes[0]);
            Assert.Equal(Enumerable.Range(0, 6), flushes.SelectMany(f => f).Order());
            Assert.True(flushes.Count <= 1 + GroupCommit<int, int>.Flushers + 5);
        }
    }

    [Fact]
    public async Task AFlushThatThrows_FailsItsRequestsAndTheNextRequestIsFlushedAgain()
    {
        var calls = 0;
        await using var group = new GroupCommit<int, int>((batch, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new TimeoutException("database away");
            }

            GroupCommit<int, int>.AnswerAll(batch, batch.Select(p => (p.Request, (Exception?)null)).ToList());
            return Task.CompletedTask;
        });

        Assert.Equal("database away", (await Assert.ThrowsAsync<TimeoutException>(() => group.SubmitAsync(1))).Message);
        Assert.Equal(2, await group.SubmitAsync(2));
    }

    [Fact]
    public async Task AfterDispose_SubmitThrowsObjectDisposed()
    {
        var group = new GroupCommit<int, int>((batch, _) =>
        {
            GroupCommit<int, int>.AnswerAll(batch, batch.Select(p => (p.Request, (Exception?)null)).ToList());
            return Task.CompletedTask;
        });
        await group.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => group.SubmitAsync(1));
    }
}
