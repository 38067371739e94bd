using System.Diagnostics.Metrics;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>Alert instruments of the <c>Ops.ControlPlane</c> meter (DESIGN.md §10).</summary>
internal static class AlertMetrics
{
    private static volatile IReadOnlyDictionary<string, long> firing = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Alerts in state <c>firing</c>, tagged by <c>severity</c>, as last counted by the evaluator (the database's count, the same on every replica).</summary>
    public static ObservableGauge<long> Firing { get; } = OpsTelemetry.Meter.CreateObservableGauge(
        "ops.alerts.firing",
        () => AlertSeverities.All.Select(s => new Measurement<long>(firing.GetValueOrDefault(s), new KeyValuePair<string, object?>("severity", s))),
        "{alert}",
        "Alerts firing, by severity.");

    /// <summary>Alert state changes, tagged by <c>transition</c> (<c>firing</c>, <c>resolved</c>).</summary>
    public static Counter<long> Transitions { get; } =
        OpsTelemetry.Meter.CreateCounter<long>("ops.alerts.transitions", "{alert}", "Alerts that started firing or resolved.");

    public static void SetFiring(IReadOnlyDictionary<string, long> counts) => firing = counts;
}
