namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// Signals readers following a job's output live (<c>text/event-stream</c>) that chunks arrived or
/// the job ended. A follower holds a <see cref="Follow"/> lease for as long as it reads; when the
/// last follower of a job leaves (the job ended or the client went away), the job's signal is
/// dropped, so following leaves nothing behind however many jobs were ever followed.
/// </summary>
internal sealed class JobOutputSignals : KeyedSignals
{
    private readonly Dictionary<Guid, int> _followers = [];

    /// <summary>Registers a follower of <paramref name="jobId"/> until the returned lease is disposed.</summary>
    public IDisposable Follow(Guid jobId)
    {
        lock (_followers)
        {
            _followers[jobId] = _followers.GetValueOrDefault(jobId) + 1;
        }

        return new Lease(this, jobId);
    }

    private void Leave(Guid jobId)
    {
        lock (_followers)
        {
            var left = _followers[jobId] - 1;
            if (left > 0)
            {
                _followers[jobId] = left;
                return;
            }

            _followers.Remove(jobId);
            Drop(jobId);
        }
    }

    private sealed class Lease(JobOutputSignals owner, Guid jobId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(jobId);
            }
        }
    }
}
