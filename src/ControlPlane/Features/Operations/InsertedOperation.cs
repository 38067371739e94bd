namespace Ops.ControlPlane.Features.Operations;

/// <summary>What <see cref="OperationStore.InsertAsync"/> wrote: the operation and its agents, or (with <see cref="Operation"/> <c>null</c>) the target's errors.</summary>
internal sealed record InsertedOperation(OperationResponse? Operation, IReadOnlyList<Guid> AgentIds, IReadOnlyDictionary<string, string[]> Errors);
