namespace Ops.Agent.Policy;

/// <summary><c>Policy:RabbitMq</c>: the RabbitMQ management endpoints <c>queue.check</c> may query, by name.</summary>
internal sealed record RabbitMqPolicyOptions
{
    /// <summary>Endpoints by name (<c>broker</c>); names are case-sensitive.</summary>
    public Dictionary<string, RabbitMqEndpointPolicy> Endpoints { get; set; } = new(StringComparer.Ordinal);
}
