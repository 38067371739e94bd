using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ops.ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// The control plane's own <see cref="ActivitySource"/> and <see cref="Meter"/>, both named
/// <c>Ops.ControlPlane</c> (DESIGN.md §10).
/// </summary>
internal static class OpsTelemetry
{
    public const string Name = "Ops.ControlPlane";

    public static ActivitySource ActivitySource { get; } = new(Name);

    public static Meter Meter { get; } = new(Name);

    /// <summary>Operations accepted, tagged by <c>kind</c>.</summary>
    public static Counter<long> OperationsSubmitted { get; } = Meter.CreateCounter<long>("ops.operations.submitted", "{operation}", "Operations accepted by POST /api/v1/operations.");
}
