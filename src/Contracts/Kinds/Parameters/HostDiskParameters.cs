using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>host.disk</c>: the runbooks' <c>df -h</c> plus their "free space below
/// 10 GB" alert (seed 000 "Alertes recommandées"). The result lists every mount checked with
/// total, free and used bytes and whether it passes the thresholds.
/// </summary>
/// <param name="Paths">Absolute paths whose file systems to check; default every real mount.</param>
/// <param name="MinFreeBytes">Fail when a checked file system has fewer free bytes than this.</param>
/// <param name="MinFreePercent">Fail when a checked file system has less free space than this percentage (0–100).</param>
public sealed record HostDiskParameters(
    [property: Description("Absolute paths whose file systems to check; default: every real mount.")]
    IReadOnlyList<string>? Paths = null,
    [property: Description("Fail when a checked file system has fewer free bytes than this (10 GB = 10000000000).")]
    long? MinFreeBytes = null,
    [property: Description("Fail when a checked file system has less free space than this percentage.")]
    double? MinFreePercent = null);
