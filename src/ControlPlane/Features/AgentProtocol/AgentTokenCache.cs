using System.Collections.Concurrent;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// The agent tokens this replica has authenticated, by SHA-256 of the token (DESIGN.md §9), so an
/// agent RPC costs no database read. Only tokens of unrevoked agents are kept. A revocation is
/// pushed to every replica by <c>NOTIFY ops_agent_tokens, '&lt;agent_id&gt;'</c> (sent by a trigger
/// on <c>agents.revoked_at</c>, migration 0070) and evicted here at once on the replica that
/// revoked, so the agent's next call is refused; after the LISTEN connection was lost (a
/// revocation may have been missed) the whole cache is dropped and rebuilt from the database.
/// </summary>
/// <remarks>
/// A lookup that read the database before an eviction must not put its (possibly stale) answer
/// back: every eviction bumps a generation, and <see cref="TryAdd"/> only stores an answer read
/// under the current one.
/// </remarks>
internal sealed class AgentTokenCache : INotificationHandler
{
    /// <summary>Most tokens kept; beyond it the cache is cleared (a fleet larger than this costs a read per RPC again, nothing else).</summary>
    public const int Capacity = 200_000;

    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, string> _hashById = new();
    private long _generation;

    /// <inheritdoc />
    public string Channel => "ops_agent_tokens";

    /// <summary>Tokens currently cached.</summary>
    public int Count => _byHash.Count;

    /// <summary>The generation to pass to <see cref="TryAdd"/>; read it before reading the database.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The cached agent of <paramref name="hash"/> (hex SHA-256 of the token), or <c>null</c>.</summary>
    public Entry? Find(string hash) => _byHash.TryGetValue(hash, out var entry) ? entry : null;

    /// <summary>
    /// Caches an unrevoked agent's token read from the database under <paramref name="generation"/>;
    /// ignored when an eviction happened since. Returns the entry to use for this call.
    /// </summary>
    public Entry TryAdd(string hash, AgentIdentity identity, long generation, long touchedAtTicks)
    {
        var entry = new Entry(identity, touchedAtTicks);
        if (_byHash.Count >= Capacity)
        {
            Clear();
            return entry;
        }

        lock (_hashById)
        {
            if (generation == Interlocked.Read(ref _generation))
            {
                _hashById[identity.AgentId] = hash;
                entry = _byHash.GetOrAdd(hash, entry);
            }
        }

        return entry;
    }

    /// <summary>Forgets the token of <paramref name="agentId"/> (revoked here or on another replica).</summary>
    public void Evict(Guid agentId)
    {
        lock (_hashById)
        {
            Interlocked.Increment(ref _generation);
            if (_hashById.TryRemove(agentId, out var hash))
            {
                _byHash.TryRemove(hash, out _);
            }
        }
    }

    /// <summary>Forgets every token.</summary>
    public void Clear()
    {
        lock (_hashById)
        {
            Interlocked.Increment(ref _generation);
            _byHash.Clear();
            _hashById.Clear();
        }
    }

    /// <inheritdoc />
    public void Handle(string payload)
    {
        if (Guid.TryParse(payload, out var agentId))
        {
            Evict(agentId);
        }
    }

    /// <inheritdoc />
    public void Reconnected() => Clear();

    /// <summary>
    /// A cached agent. <see cref="LastTouchTicks"/> is when this replica last wrote the agent's
    /// <c>last_seen_at</c> (<see cref="TimeProvider"/> UTC ticks), so a Pull touches the row at most
    /// once per heartbeat interval.
    /// </summary>
    internal sealed class Entry(AgentIdentity identity, long touchedAtTicks)
    {
        private long _lastTouchTicks = touchedAtTicks;

        /// <summary>The agent.</summary>
        public AgentIdentity Identity { get; } = identity;

        /// <summary>UTC ticks of this replica's last <c>last_seen_at</c> write (0: never).</summary>
        public long LastTouchTicks => Interlocked.Read(ref _lastTouchTicks);

        /// <summary>Claims the next touch if the last one is older than <paramref name="interval"/>; false when another call has it.</summary>
        public bool TryClaimTouch(long nowTicks, TimeSpan interval)
        {
            var last = LastTouchTicks;
            return nowTicks - last >= interval.Ticks && Interlocked.CompareExchange(ref _lastTouchTicks, nowTicks, last) == last;
        }
    }
}
