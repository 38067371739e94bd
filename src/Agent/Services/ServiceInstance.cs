namespace Ops.Agent.Services;

/// <summary>One container, task or process of a service.</summary>
/// <param name="Name">Container name, task name, or <c>MainPID=…</c>.</param>
/// <param name="State">compose State, swarm CurrentState, systemd SubState.</param>
/// <param name="Status">compose Status (<c>Up 2 hours</c>), swarm node and error, systemd start time.</param>
/// <param name="Health">compose Health (<c>healthy</c>, <c>unhealthy</c>, <c>starting</c>) when the container has a health check.</param>
internal sealed record ServiceInstance(string Name, string State, string Status, string? Health);
