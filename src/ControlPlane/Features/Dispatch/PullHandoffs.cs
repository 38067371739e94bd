using System.Collections.Concurrent;
using Ops.Contracts.Agent.V1;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>
/// The Pulls of this replica that are waiting for work, so a submit can hand its job straight to
/// one (issue 14). A Pull that found nothing registers here (<see cref="Register"/>); a plain
/// submit for that agent claims it (<see cref="TryClaim"/>) before its transaction, writes the
/// agent's job already <c>leased</c> to it in the same statement that inserts the operation
/// (only when the agent has no other queued job, so priority and age order hold), and after the
/// commit gives the Pull its assignment (<see cref="PullHandoff.Deliver"/>). The job thus reaches
/// the agent without a wake-up and a lease round trip of its own. A claim is exclusive: one
/// submit at a time, and a Pull that stops waiting (woken, timed out, cancelled) can no longer be
/// claimed. A submit by labels or to <c>all</c> cannot know its agents before its statement, so it
/// claims every waiting Pull here (<see cref="ClaimAll"/>, while there are at most
/// <see cref="MaxClaimAll"/>) and gives back, still waiting, those its target did not include
/// (<see cref="PullHandoff.Release"/>). Other replicas' Pulls are not here; their agents' jobs are
/// queued and woken as before.
/// </summary>
internal sealed class PullHandoffs
{
    /// <summary>
    /// The most waiting Pulls a label or <c>all</c> submit claims at once: beyond it the submit
    /// queues and wakes as before, so a replica holding many idle agents does not pass them all to
    /// every small submit's statement (1,000 agents' Pulls are a 16 KB array, hashed in the statement).
    /// </summary>
    public const int MaxClaimAll = 2_000;

    private readonly ConcurrentDictionary<Guid, PullHandoff> _waiting = new();

    /// <summary>Waiting Pulls that can be claimed (tests: nothing is left behind).</summary>
    public int Count => _waiting.Count;

    /// <summary>
    /// Registers a Pull of <paramref name="agentId"/> that read an empty queue and now waits. A
    /// later Pull of the same agent replaces it here (agents keep one Pull outstanding).
    /// </summary>
    public PullHandoff Register(Guid agentId)
    {
        var handoff = new PullHandoff(agentId, this);
        _waiting[agentId] = handoff;
        return handoff;
    }

    /// <summary>
    /// Claims the waiting Pull of <paramref name="agentId"/> for one submit, or <c>null</c> when
    /// none waits here (or another submit holds it). The claimant must end the claim with
    /// <see cref="PullHandoff.Deliver"/>, with no jobs if it leased none.
    /// </summary>
    public PullHandoff? TryClaim(Guid agentId)
    {
        if (!_waiting.TryGetValue(agentId, out var handoff))
        {
            return null;
        }

        _waiting.TryRemove(new KeyValuePair<Guid, PullHandoff>(agentId, handoff));
        return handoff.TryClaim() ? handoff : null;
    }

    /// <summary>
    /// Claims every Pull waiting here, by agent, for a submit whose agents its statement resolves
    /// (labels, <c>all</c>); none when more than <see cref="MaxClaimAll"/> wait. The claimant ends
    /// each claim with <see cref="PullHandoff.Deliver"/> (a job, or none when the agent got a
    /// queued job) or <see cref="PullHandoff.Release"/> (not targeted: the Pull waits on).
    /// </summary>
    public Dictionary<Guid, PullHandoff> ClaimAll()
    {
        var claims = new Dictionary<Guid, PullHandoff>();
        if (_waiting.Count > MaxClaimAll)
        {
            return claims;
        }

        foreach (var agentId in _waiting.Keys)
        {
            if (TryClaim(agentId) is { } claim)
            {
                claims[agentId] = claim;
            }
        }

        return claims;
    }

    /// <summary>Makes a released Pull claimable again, unless a newer Pull of its agent took its place.</summary>
    internal void Return(PullHandoff handoff)
    {
        // A Pull that stopped waiting between its release and this line must not stay listed.
        if (_waiting.TryAdd(handoff.AgentId, handoff) && !handoff.IsWaiting)
        {
            Forget(handoff);
        }
    }

    internal void Forget(PullHandoff handoff) => _waiting.TryRemove(new KeyValuePair<Guid, PullHandoff>(handoff.AgentId, handoff));
}

/// <summary>
/// One waiting Pull's hand-off slot: waiting → claimed (by a submit) → delivered (the Pull
/// returns the jobs) or back to waiting (released: the submit had nothing for it); waiting →
/// closed (the Pull stopped waiting); claimed → closing (the Pull stopped waiting while a submit
/// held it, and awaits <see cref="Jobs"/>) → delivered (a release then delivers no jobs); claimed
/// or closing → closed (the Pull's call ended: the submit requeues what it leased).
/// </summary>
internal sealed class PullHandoff
{
    private const int Waiting = 0, Claimed = 1, Delivered = 2, Closed = 3, Closing = 4;
    private readonly PullHandoffs _owner;
    private readonly TaskCompletionSource<IReadOnlyList<JobAssignment>> _jobs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    internal PullHandoff(Guid agentId, PullHandoffs owner)
    {
        AgentId = agentId;
        _owner = owner;
    }

    /// <summary>The agent whose Pull this is.</summary>
    public Guid AgentId { get; }

    /// <summary>Completes with the jobs a claimant delivered (empty: read the queue again).</summary>
    public Task<IReadOnlyList<JobAssignment>> Jobs => _jobs.Task;

    internal bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Waiting) == Waiting;

    internal bool IsWaiting => Volatile.Read(ref _state) == Waiting;

    /// <summary>
    /// The Pull stops waiting. True when no submit holds it (it can no longer be claimed); false
    /// when one does: then the Pull awaits <see cref="Jobs"/>, which completes after that
    /// submit's commit.
    /// </summary>
    public bool TryClose()
    {
        while (true)
        {
            switch (Interlocked.CompareExchange(ref _state, Closed, Waiting))
            {
                case Waiting:
                    _owner.Forget(this);
                    return true;
                case Claimed when Interlocked.CompareExchange(ref _state, Closing, Claimed) == Claimed:
                    return false;
                case Claimed:
                    continue; // delivered or released meanwhile: look again
                case var state:
                    return state == Closed;
            }
        }
    }

    /// <summary>The Pull's call ended while a submit held it; that submit's <see cref="Deliver"/> then answers false.</summary>
    public void Abandon()
    {
        if (Interlocked.CompareExchange(ref _state, Closed, Claimed) != Claimed)
        {
            Interlocked.CompareExchange(ref _state, Closed, Closing);
        }
    }

    /// <summary>
    /// Ends the claim with the jobs leased to this Pull (none: the Pull reads the queue again).
    /// False when the Pull's call already ended (<see cref="Abandon"/>): the jobs were not sent
    /// and the caller must put them back in the queue.
    /// </summary>
    public bool Deliver(IReadOnlyList<JobAssignment> jobs)
    {
        if (Interlocked.CompareExchange(ref _state, Delivered, Claimed) != Claimed
            && Interlocked.CompareExchange(ref _state, Delivered, Closing) != Closing)
        {
            return false;
        }

        _jobs.SetResult(jobs);
        return true;
    }

    /// <summary>
    /// Ends a claim whose submit had nothing for this agent: a Pull still waiting goes on waiting
    /// (claimable again, no read of its queue); one that stopped waiting meanwhile is answered with
    /// no jobs, so it reads its queue.
    /// </summary>
    public void Release()
    {
        if (Interlocked.CompareExchange(ref _state, Waiting, Claimed) == Claimed)
        {
            _owner.Return(this);
            return;
        }

        Deliver([]);
    }
}
