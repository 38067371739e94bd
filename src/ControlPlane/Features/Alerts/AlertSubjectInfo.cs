namespace Ops.ControlPlane.Features.Alerts;

/// <summary>Who an alert is about: an agent (with its hostname) or the rule's schedule.</summary>
internal sealed record AlertSubjectInfo(Guid? AgentId, string? Hostname, string? Schedule);
