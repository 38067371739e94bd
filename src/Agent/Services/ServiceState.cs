namespace Ops.Agent.Services;

/// <summary>The observed state of one service.</summary>
/// <param name="Service">The policy name.</param>
/// <param name="Name">The manager's name (compose service, swarm service, systemd unit).</param>
/// <param name="State">
/// compose: <c>running</c>, <c>unhealthy</c>, or the first non-running container state (<c>exited</c>,
/// <c>restarting</c>…); swarm: <c>running</c> or <c>degraded</c> (fewer replicas than desired);
/// systemd: the ActiveState (<c>active</c>, <c>failed</c>…); <c>not-found</c> everywhere.
/// </param>
/// <param name="Running">True when every instance runs (and none is unhealthy).</param>
/// <param name="Detail">The manager's own words: compose Status, swarm Replicas, systemd SubState and start time.</param>
/// <param name="Instances">Containers (compose), tasks (swarm) or the main process (systemd).</param>
internal sealed record ServiceState(string Service, string Name, string State, bool Running, string Detail, IReadOnlyList<ServiceInstance> Instances);
