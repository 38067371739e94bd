namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Parameters of <c>host.facts</c>: none. The result is the host inventory (OS, kernel, architecture, CPUs, memory, boot time, uptime, hostname).</summary>
public sealed record HostFactsParameters;
