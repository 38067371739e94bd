using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>service.status</c>: the state of services the agent's policy names, through
/// its service manager (<c>docker compose ps</c>, <c>docker service ls</c>, <c>systemctl show</c>;
/// seeds 000, 003, 004).
/// </summary>
public sealed record ServiceStatusParameters(
    [property: Description("Service names from the agent's policy (default all of them).")]
    IReadOnlyList<string>? Services = null);
