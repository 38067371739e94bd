namespace Ops.Agent.Services;

/// <summary>One container line of <c>docker compose ps --format json</c> (fields Name, Service, State, Status, Health).</summary>
internal sealed record ComposeContainer(string Name, string Service, string State, string Status, string Health);
