using System.Diagnostics.Metrics;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>Webhook instruments of the <c>Ops.ControlPlane</c> meter (DESIGN.md §10).</summary>
internal static class WebhookMetrics
{
    /// <summary>
    /// Delivery attempts by <c>outcome</c>: <c>succeeded</c> (2xx), <c>retried</c> (failed, tried
    /// again later), <c>failed</c> (given up after the retry window), <c>gone</c> (410: webhook
    /// disabled); and <c>format</c>.
    /// </summary>
    public static Counter<long> Deliveries { get; } =
        OpsTelemetry.Meter.CreateCounter<long>("ops.webhook.deliveries", "{attempt}", "Webhook delivery attempts by outcome.");

    /// <summary>Time of one delivery attempt, request to answer, in milliseconds.</summary>
    public static Histogram<double> Duration { get; } =
        OpsTelemetry.Meter.CreateHistogram<double>("ops.webhook.delivery.duration", "ms", "Webhook delivery attempt duration.");
}
