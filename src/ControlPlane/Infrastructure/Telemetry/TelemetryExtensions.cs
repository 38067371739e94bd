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
/// only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Every request has a W3C trace id for the
/// audit log and the agent's <c>traceparent</c>, recorded or not (see <see cref="RecordsSpans"/>).
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
                .AddNpgsql()
                .SetSamplerUnlessSomeoneReadsSpans(builder.Configuration))
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

    /// <summary>
    /// True when spans have a reader: an OTLP endpoint is set (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>),
    /// or the operator chose a sampler (<c>OTEL_TRACES_SAMPLER</c>, OpenTelemetry's environment
    /// variable specification, which the SDK then applies: another exporter or processor added in
    /// code needs it, e.g. <c>always_on</c>). Otherwise no span would go anywhere, so none is
    /// recorded: the SDK still creates each request's root activity for propagation (trace id and
    /// span id, not sampled) and creates no child span (Npgsql commands, leases). Recording every
    /// span with no reader cost the closed loop of <c>./ops bench</c> several percent of the
    /// control plane's CPU (issue 14).
    /// </summary>
    public static bool RecordsSpans(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration["OTEL_TRACES_SAMPLER"]);

    private static TracerProviderBuilder SetSamplerUnlessSomeoneReadsSpans(this TracerProviderBuilder tracing, IConfiguration configuration) =>
        RecordsSpans(configuration) ? tracing : tracing.SetSampler(new AlwaysOffSampler());

    /// <summary>Maps the Prometheus text exposition at <c>GET /metrics</c> (no authentication: bind it to a private address in production).</summary>
    public static IEndpointRouteBuilder MapOpsMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return endpoints;
    }
}
