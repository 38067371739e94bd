namespace Ops.ControlPlane.Features.Alerts;

/// <summary>Severities of alert rules (DESIGN.md §15).</summary>
internal static class AlertSeverities
{
    public static IReadOnlyList<string> All { get; } = ["info", "warning", "critical"];
}
