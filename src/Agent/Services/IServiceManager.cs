using Ops.Agent.Executors;

namespace Ops.Agent.Services;

/// <summary>
/// One service manager (docker compose, docker swarm, systemd) driven through its command-line
/// tool as a child process (argv, no shell); the tool's stderr goes to the job output.
/// </summary>
internal interface IServiceManager
{
    /// <summary>The manager's policy name: compose, swarm or systemd.</summary>
    string Name { get; }

    /// <summary>The state of each service, in order.</summary>
    /// <exception cref="ServiceToolException">The tool failed or printed something unreadable.</exception>
    Task<IReadOnlyList<ServiceState>> StatusAsync(IReadOnlyList<ServiceTarget> services, IJobOutput output, CancellationToken cancellationToken);

    /// <summary>Restarts one service and returns the tool's exit code.</summary>
    Task<int> RestartAsync(ServiceTarget service, IJobOutput output, CancellationToken cancellationToken);
}
