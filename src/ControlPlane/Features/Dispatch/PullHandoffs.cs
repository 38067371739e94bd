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
/// claimed. Other replicas' Pulls are not here; their agents' jobs are queued and woken as before.
/// </summary>
internal sealed class PullHandoffs
{
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

    internal void Forget(PullHandoff handoff) => _waiting.TryRemove(new KeyValuePair<Guid, PullHandoff>(handoff.AgentId, handoff));
}

/// <summary>
/// One waiting Pull's hand-off slot: waiting → claimed (by a submit) → delivered (the Pull
/// returns the jobs), or waiting → closed (the Pull stopped waiting), or claimed → closed (the
/// Pull's call ended while a submit held it: the submit requeues what it leased).
/// </summary>
internal sealed class PullHandoff
{
    private const int Waiting = 0, Claimed = 1, Delivered = 2, Closed = 3;
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

    /// <summary>
    /// The Pull stops waiting. True when no submit holds it (it can no longer be claimed); false
    /// when one does: then the Pull awaits <see cref="Jobs"/>, which completes after that
    /// submit's commit.
    /// </summary>
    public bool TryClose()
    {
        if (Interlocked.CompareExchange(ref _state, Closed, Waiting) != Waiting)
        {
            return Volatile.Read(ref _state) == Closed;
        }

        _owner.Forget(this);
        return true;
    }

    /// <summary>The Pull's call ended while a submit held it; that submit's <see cref="Deliver"/> then answers false.</summary>
    public void Abandon() => Interlocked.CompareExchange(ref _state, Closed, Claimed);

    /// <summary>
    /// Ends the claim with the jobs leased to this Pull (none: the Pull reads the queue again).
    /// False when the Pull's call already ended (<see cref="Abandon"/>): the jobs were not sent
    /// and the caller must put them back in the queue.
    /// </summary>
    public bool Deliver(IReadOnlyList<JobAssignment> jobs)
    {
        if (Interlocked.CompareExchange(ref _state, Delivered, Claimed) != Claimed)
        {
            return false;
        }

        _jobs.SetResult(jobs);
        return true;
    }
}
