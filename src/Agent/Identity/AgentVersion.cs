using System.Reflection;

namespace Ops.Agent.Identity;

/// <summary>The agent's version: the assembly's informational version (e.g. <c>1.0.0+abc123</c>).</summary>
internal static class AgentVersion
{
    /// <summary>The version string reported at enrollment and by <c>agent.ping</c>.</summary>
    public static string Current { get; } =
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AgentVersion).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";
}
