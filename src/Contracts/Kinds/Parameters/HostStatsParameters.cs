using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>host.stats</c>: CPU, memory, load and disk usage sampled over
/// <paramref name="SampleMs"/> (seed 003's <c>docker stats</c>, seed 000's CPU/memory alerts).
/// </summary>
/// <param name="SampleMs">CPU sampling window in milliseconds (100–60,000; default 1,000).</param>
public sealed record HostStatsParameters(
    [property: Description("CPU sampling window in milliseconds (default 1000).")]
    int? SampleMs = null);
