namespace Ops.ControlPlane.Features.Alerts;

/// <summary>The agents a host rule watches: those carrying every label of <see cref="Labels"/>.</summary>
internal sealed record AlertRuleTarget(IReadOnlyDictionary<string, string>? Labels);
