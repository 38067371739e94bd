namespace Ops.Agent.Hosting;

/// <summary>The agent process's exit codes (documented in docs/agent.md).</summary>
internal static class AgentExitCodes
{
    /// <summary>Stopped on request (SIGTERM, Ctrl-C) after draining running jobs.</summary>
    public const int Success = 0;

    /// <summary>An unexpected failure stopped the agent.</summary>
    public const int Failure = 1;

    /// <summary>
    /// Invalid configuration, unusable state directory, or no identity and no enrollment token
    /// (or the enrollment token was refused): fix the configuration, then start again.
    /// </summary>
    public const int Configuration = 2;

    /// <summary>The control plane answered UNAUTHENTICATED: the agent was revoked or is unknown to it.</summary>
    public const int Unauthenticated = 3;
}
