namespace Ops.ControlPlane.Features.Agents;

/// <summary>
/// Section <c>Agents</c>: how often agents heartbeat and when they count as offline.
/// </summary>
internal sealed record AgentOptions
{
    public const string Section = "Agents";

    /// <summary>Heartbeat interval handed to agents at enrollment and on every heartbeat, in ms (default 10 s).</summary>
    public int HeartbeatIntervalMs { get; init; } = 10_000;

    /// <summary>An agent not seen for this many heartbeat intervals is <c>offline</c> (default 3).</summary>
    public int OfflineAfterIntervals { get; init; } = 3;

    /// <summary>Silence after which an agent is shown offline.</summary>
    public TimeSpan OfflineAfter => TimeSpan.FromMilliseconds((double)HeartbeatIntervalMs * OfflineAfterIntervals);
}
