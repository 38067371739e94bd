namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Section <c>AgentProtocol</c>: leases, grace periods and bounds of the agent protocol
/// (DESIGN.md §4–5).
/// </summary>
internal sealed record AgentProtocolOptions
{
    public const string Section = "AgentProtocol";

    /// <summary>How long a leased job may wait for <c>Start</c> before it is queued again with <c>attempt + 1</c> (default 30 s).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a running job survives without a heartbeat of its agent before it is <c>lost</c> (default 45 s).</summary>
    public TimeSpan RunningGrace { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How often the lease reaper looks for expired leases, silent agents and past deadlines (default 1 s).</summary>
    public TimeSpan ReaperInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest <c>Pull</c> wait, whatever the agent asks (DESIGN.md §4: 30 s).</summary>
    public TimeSpan MaxPullWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most jobs one <c>Pull</c> may lease.</summary>
    public int MaxJobsPerPull { get; init; } = 100;

    /// <summary>Stored output bound per job in bytes (default 1 MiB): the first and last halves are kept, the middle dropped.</summary>
    public long OutputLimitBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest <c>result_json</c> accepted on <c>Complete</c>, in UTF-8 bytes (default and most sensible: <see cref="Ops.Contracts.Agent.AgentProtocolLimits.MaxResultJsonBytes"/>).</summary>
    public int MaxResultBytes { get; init; } = Ops.Contracts.Agent.AgentProtocolLimits.MaxResultJsonBytes;
}
