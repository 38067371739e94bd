namespace Ops.ControlPlane.Features.Operations;

/// <summary>What <see cref="OperationStore.CreateAsync"/> did.</summary>
internal abstract record CreateOperationOutcome
{
    private CreateOperationOutcome()
    {
    }

    /// <summary>A new operation; <paramref name="AgentIds"/> are the agents to wake.</summary>
    public sealed record Created(OperationResponse Operation, IReadOnlyList<Guid> AgentIds) : CreateOperationOutcome;

    /// <summary>Same caller, same <c>Idempotency-Key</c>, same body: the original operation.</summary>
    public sealed record Replayed(OperationResponse Operation) : CreateOperationOutcome;

    /// <summary>Same caller and key, different body: 409.</summary>
    public sealed record KeyConflict(Guid ExistingOperationId) : CreateOperationOutcome;

    /// <summary>The target resolved to no usable agent: 400 with these errors.</summary>
    public sealed record TargetInvalid(IReadOnlyDictionary<string, string[]> Errors) : CreateOperationOutcome;
}
