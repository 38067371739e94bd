namespace Ops.ControlPlane.Features.Locks;

/// <summary>
/// Why an operation or run is <c>waiting</c> (DESIGN.md §11): the first of its lock keys it cannot
/// take, and who holds it (<paramref name="HeldByType"/> <c>operation</c> or <c>runbook_run</c>,
/// <paramref name="HeldBy"/> its id), or, when the lock is free but an earlier waiter is queued
/// for it (FIFO), that waiter with <paramref name="QueuedBehind"/> true.
/// </summary>
public sealed record WaitingOn(string Lock, string? HeldBy, string? HeldByType, bool QueuedBehind, DateTimeOffset WaitUntil);
