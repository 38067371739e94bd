using System.Net;
using Dapper;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.OpenApi;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Features.Agents;
using Ops.ControlPlane.Features.Approvals;
using Ops.ControlPlane.Features.Alerts;
using Ops.ControlPlane.Features.Audit;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Features.EnrollmentTokens;
using Ops.ControlPlane.Features.Health;
using Ops.ControlPlane.Features.Jobs;
using Ops.ControlPlane.Features.Locks;
using Ops.ControlPlane.Features.OperationKinds;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Features.Schedules;
using Ops.ControlPlane.Features.Webhooks;
using Ops.ControlPlane.Features.Runbooks;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Composition of the control plane: services (<see cref="AddOpsControlPlane"/>) and the HTTP pipeline (<see cref="MapOpsControlPlane"/>).</summary>
internal static class ApiExtensions
{
    /// <summary>Registers storage, auth, validation, problem details, Swagger, telemetry and the features.</summary>
    public static WebApplicationBuilder AddOpsControlPlane(this WebApplicationBuilder builder)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        ParameterBinder.UseCamelCaseDisplayNames();
        builder.AddOpsKestrel();
        builder.AddOpsTelemetry();
        builder.AddOpsStorage();
        builder.AddOpsEvents();
        builder.AddOpsAuth();
        builder.AddAgentProtocol();
        builder.AddApprovals();
        builder.AddSchedules();
        builder.AddWebhooks();
        builder.AddAlerts();
        builder.AddRollout();
        builder.AddRunbooks();

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AgentOptions>, Features.Agents.AgentOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentOptions>>().Value);
        services.AddSingleton<AuditWriter>();
        services.AddSingleton<OperationStore>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton<LockStore>();
        // Every request validator of this assembly (FluentValidation.DependencyInjectionExtensions); stateless, so singletons.
        services.AddValidatorsFromAssembly(typeof(ApiExtensions).Assembly, ServiceLifetime.Singleton, includeInternalTypes: true);

        services.ConfigureHttpJsonOptions(o => OpsJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
            c.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? c.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Ops API",
                Version = "v1",
                Description = "Runbook automation: queue operations, agents run them under their host's policy. " +
                              "Click Authorize and paste a token from `./ops token` or `$OPS_HOME/admin.token`.",
            });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "JWT with claim role = viewer | operator | admin.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            o.SupportNonNullableReferenceTypes();
            o.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, "Ops.ControlPlane.xml"), includeControllerXmlComments: true);
            o.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, "Ops.Contracts.xml"));
        });
        return builder;
    }

    /// <summary>Listens on the REST port (HTTP/1.1) and the agent gRPC port (h2c), loopback by default (DESIGN.md §8).</summary>
    private static void AddOpsKestrel(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 8 * 1024 * 1024;
            // Each agent keeps one Pull waiting: a connection (of a proxy, or of agents sharing a channel) carries thousands (DESIGN.md §3).
            kestrel.Limits.Http2.MaxStreamsPerConnection = 10_000;
            if (context.Configuration.GetSection("Kestrel:Endpoints").Exists())
            {
                return;
            }

            var address = IPAddress.Parse(context.Configuration["OPS_BIND_ADDRESS"] ?? "127.0.0.1");
            var httpPort = int.Parse(context.Configuration["OPS_HTTP_PORT"] ?? "8080", System.Globalization.CultureInfo.InvariantCulture);
            var grpcPort = int.Parse(context.Configuration["OPS_GRPC_PORT"] ?? "8081", System.Globalization.CultureInfo.InvariantCulture);
            kestrel.Listen(address, httpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.Listen(address, grpcPort, o => o.Protocols = HttpProtocols.Http2);
        });
    }

    /// <summary>The pipeline: problem details for every error, body limits, auth, Swagger, the routes.</summary>
    public static WebApplication MapOpsControlPlane(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), a => a.UseMiddleware<BodySizeLimitMiddleware>());
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), a => a.UseMiddleware<JsonTextValidationMiddleware>());
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/swagger/v1/swagger.json", "Ops API v1");
            o.DocumentTitle = "Ops API";
            o.EnablePersistAuthorization();
        });

        app.MapHealthEndpoints();
        app.MapOperationKindsEndpoints();
        app.MapOperationsEndpoints();
        app.MapJobsEndpoints();
        app.MapAgentsEndpoints();
        app.MapEnrollmentTokensEndpoints();
        app.MapAuditEndpoints();
        app.MapApprovalsEndpoints();
        app.MapSchedulesEndpoints();
        app.MapWebhooksEndpoints();
        app.MapAlertsEndpoints();
        app.MapLocksEndpoints();
        app.MapRunbooksEndpoints();
        app.MapAgentProtocol();
        app.MapOpsMetrics();
        return app;
    }
}
