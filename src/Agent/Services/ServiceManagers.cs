using Ops.Agent.Execution;

namespace Ops.Agent.Services;

/// <summary>Creates the <see cref="IServiceManager"/> that <c>Policy:Services:Manager</c> names.</summary>
internal static class ServiceManagers
{
    /// <summary>The manager of the policy (compose, swarm or systemd).</summary>
    /// <exception cref="ServicePolicyException">The manager is missing or unknown.</exception>
    public static IServiceManager Create(ServicePolicyLoader loader, IProcessRunner processRunner)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var manager = loader.Manager();
        var environment = loader.ToolEnvironment();
        return manager switch
        {
            "compose" => new ComposeServiceManager(new ServiceTool(processRunner, "docker", environment), loader.Policy),
            "swarm" => new SwarmServiceManager(new ServiceTool(processRunner, "docker", environment)),
            _ => new SystemdServiceManager(new ServiceTool(processRunner, "systemctl", environment)),
        };
    }
}
