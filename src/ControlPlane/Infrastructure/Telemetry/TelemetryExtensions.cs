using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ops.ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// OpenTelemetry the standard way (DESIGN.md §10, <c>OpenTelemetry.Extensions.Hosting</c>):
/// traces from ASP.NET Core (REST and gRPC), HttpClient (webhooks), Npgsql and
/// <c>Ops.ControlPlane</c>; metrics from ASP.NET Core, Kestrel, HttpClient, the .NET runtime,
/// Npgsql and our meter (queue depth, dispatch latency, job durations, agents online, the
/// fleet's latest host samples). Prometheus scrape at <c>GET /metrics</c>; OTLP export of both
/// only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Spans are always recorded so every
/// request has a W3C trace id for the audit log and the agent's <c>traceparent</c>.
/// </summary>
internal static class TelemetryExtensions
{
    public static IHostApplicationBuilder AddOpsTelemetry(this IHostApplicationBuilder builder)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("ops-control-plane", serviceVersion: typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString()))
            .WithTracing(t => t
                .AddSource(OpsTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/metrics") && !c.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(m => m
                .AddMeter(OpsTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        builder.Services.AddSingleton<FleetMetrics>();
        return builder;
    }

    /// <summary>Maps the Prometheus text exposition at <c>GET /metrics</c> (no authentication: bind it to a private address in production).</summary>
    public static IEndpointRouteBuilder MapOpsMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return endpoints;
    }
}
