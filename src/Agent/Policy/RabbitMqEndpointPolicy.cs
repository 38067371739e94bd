namespace Ops.Agent.Policy;

/// <summary>
/// One RabbitMQ management endpoint of <c>Policy:RabbitMq:Endpoints</c>: the management plugin's
/// base URL (<c>http://rabbit.internal:15672</c>), the <c>Policy:Http:Credentials</c> entry it
/// authenticates with (whose <c>AllowedUrls</c> must cover <see cref="Url"/>), and the default vhost.
/// </summary>
internal sealed record RabbitMqEndpointPolicy
{
    /// <summary>Absolute http/https base URL of the management API (without <c>/api</c>).</summary>
    public string? Url { get; set; }

    /// <summary>Name of a credential of <c>Policy:Http:Credentials</c> (usually <c>basic</c>, a monitoring user).</summary>
    public string? Credential { get; set; }

    /// <summary>The vhost used when a job names none; default <c>/</c>.</summary>
    public string? Vhost { get; set; }
}
