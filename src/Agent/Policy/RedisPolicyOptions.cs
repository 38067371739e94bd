namespace Ops.Agent.Policy;

/// <summary><c>Policy:Redis</c>: the Redis instances <c>redis.check</c> may connect to, by name.</summary>
internal sealed record RedisPolicyOptions
{
    /// <summary>Instances by name (<c>cache</c>, <c>celery</c>); names are case-sensitive.</summary>
    public Dictionary<string, RedisInstancePolicy> Instances { get; set; } = new(StringComparer.Ordinal);
}
