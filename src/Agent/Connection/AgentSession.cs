namespace Ops.Agent.Connection;

/// <summary>State shared by the connection loops: the agent id and the heartbeat interval the control plane asks for.</summary>
internal sealed class AgentSession
{
    /// <summary>Heartbeat interval used until the control plane names one: 10 s.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(10);

    private long heartbeatIntervalTicks = DefaultHeartbeatInterval.Ticks;
    private string? agentToken;

    /// <summary>The agent id once enrolled or loaded.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The agent token once enrolled or loaded; sent on every call but Enroll (<see cref="Ops.Contracts.Agent.AgentTokenInterceptor"/>).</summary>
    public string? AgentToken
    {
        get => Volatile.Read(ref agentToken);
        set => Volatile.Write(ref agentToken, value);
    }

    /// <summary>The current heartbeat interval (from Enroll or the latest Heartbeat response).</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromTicks(Interlocked.Read(ref heartbeatIntervalTicks));

    /// <summary>Applies <c>heartbeat_interval_ms</c> from a response; zero or negative values are ignored.</summary>
    public void UpdateHeartbeatInterval(int milliseconds)
    {
        if (milliseconds > 0)
        {
            Interlocked.Exchange(ref heartbeatIntervalTicks, TimeSpan.FromMilliseconds(milliseconds).Ticks);
        }
    }
}
