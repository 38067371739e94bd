namespace Ops.ControlPlane.Features.Locks;

/// <summary>One held lock of <c>GET /api/v1/locks</c>: its holder and its FIFO queue.</summary>
public sealed record LockResponse(string Name, LockHolderResponse? Holder, IReadOnlyList<LockWaiterResponse> Queue);

/// <summary>The holder of a lock: <c>operation</c> or <c>runbook_run</c>, its id, since when.</summary>
public sealed record LockHolderResponse(string Type, Guid Id, DateTimeOffset AcquiredAt);

/// <summary>A waiter in a lock's queue, in FIFO order, with the time its wait ends <c>skipped</c>.</summary>
public sealed record LockWaiterResponse(string Type, Guid Id, DateTimeOffset RequestedAt, DateTimeOffset WaitUntil);
