using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ops.ControlPlane.Infrastructure.Telemetry;

/// <summary>
/// OpenTelemetry without the hosting package (DESIGN.md §10): traces from ASP.NET Core, Npgsql
/// and <c>Ops.ControlPlane</c>; metrics from the built-in ASP.NET Core/Kestrel meters and ours.
/// OTLP export only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; spans are always created so
/// every request has a W3C trace id for the audit log.
/// </summary>
internal static class TelemetryExtensions
{
    public static IHostApplicationBuilder AddOpsTelemetry(this IHostApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var resource = ResourceBuilder.CreateDefault().AddService("ops-control-plane");

        var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource("Microsoft.AspNetCore", "Npgsql", OpsTelemetry.Name);
        var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Npgsql", OpsTelemetry.Name);
        if (otlp)
        {
            tracing.AddOtlpExporter();
            metrics.AddOtlpExporter();
        }

        var tracerProvider = tracing.Build();
        var meterProvider = metrics.Build();
        builder.Services.AddSingleton(tracerProvider);
        builder.Services.AddSingleton(meterProvider);
        return builder;
    }
}
