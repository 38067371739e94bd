using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>redis.check</c>: seed 004 §1.3 (<c>redis-cli PING</c>, <c>INFO memory</c>,
/// <c>--scan --pattern</c>) and §5.1 "Queue Celery Saturée" (<c>redis-cli LLEN celery</c>).
/// <paramref name="Instance"/> names an entry of the agent's policy (<c>Policy:Redis:Instances</c>:
/// host or Unix socket, password, TLS); keys are counted with <c>SCAN</c>, never <c>KEYS</c>, up to
/// a cap. Fails when a threshold is exceeded.
/// </summary>
public sealed record RedisCheckParameters(
    [property: Description("Name of a Redis instance of the agent's policy (Policy:Redis:Instances).")]
    string Instance,
    [property: Description("INFO sections to report: memory, clients, stats, keyspace, server, replication, persistence; default memory, clients, keyspace.")]
    IReadOnlyList<string>? Sections = null,
    [property: Description("Count the keys matching this glob with SCAN (never KEYS), up to 100000.")]
    string? KeyPattern = null,
    [property: Description("List keys whose LLEN is reported, e.g. celery (seed 004 §5.1).")]
    IReadOnlyList<string>? Lists = null,
    [property: Description("Fail when used memory exceeds this percentage of maxmemory (else of the host's memory).")]
    int? MaxMemoryPercent = null,
    [property: Description("Fail when one of lists is longer than this.")]
    long? MaxListLength = null);
