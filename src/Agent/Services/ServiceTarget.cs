namespace Ops.Agent.Services;

/// <summary>A service of the policy, resolved.</summary>
/// <param name="Service">The policy name (what jobs say).</param>
/// <param name="Name">The manager's name: compose service, full swarm service name (<c>stack_name</c>) or systemd unit.</param>
/// <param name="Database">The database it serves, when the policy marks it as one.</param>
internal sealed record ServiceTarget(string Service, string Name, string? Database);
