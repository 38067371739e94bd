using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>queue.check</c>: seed 003 "Files d'attente RabbitMQ qui s'allongent" — a queue's
/// depth and consumers through the RabbitMQ management HTTP API
/// (<c>GET /api/queues/{vhost}/{name}</c>) of an endpoint named by the agent's policy
/// (<c>Policy:RabbitMq:Endpoints</c>, with its named credential). Fails when the queue holds more
/// than <paramref name="MaxMessages"/> messages or has fewer than <paramref name="MinConsumers"/>
/// consumers. (A Celery queue kept in Redis is checked with <c>redis.check</c> and <c>lists</c>.)
/// </summary>
public sealed record QueueCheckParameters(
    [property: Description("Name of a RabbitMQ management endpoint of the agent's policy (Policy:RabbitMq:Endpoints).")]
    string Endpoint,
    [property: Description("Queue name, e.g. celery.")]
    string Queue,
    [property: Description("Virtual host; default the endpoint's (else /).")]
    string? Vhost = null,
    [property: Description("Fail when the queue holds more messages than this (ready + unacknowledged).")]
    long? MaxMessages = null,
    [property: Description("Fail when the queue has fewer consumers than this.")]
    int? MinConsumers = null);
