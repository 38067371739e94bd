namespace Ops.ControlPlane.Features.Alerts;

/// <summary>One value a rule sees for one subject: the agent (and <paramref name="Mount"/>), whether its condition holds.</summary>
internal sealed record AlertObservation(string Subject, string? Mount, double Value, bool Matches);
