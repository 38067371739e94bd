namespace Ops.ControlPlane.Features.Alerts;

/// <summary>What starting a remediation did: <c>status</c> <c>started</c> (with <see cref="RunId"/>), <c>failed</c> or <c>unavailable</c>, with a message.</summary>
internal sealed record AlertRemediationResult(string Status, Guid? RunId, string? Message);
