using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Features.Health;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Registration and mapping of the agent gRPC service on Grpc.AspNetCore (DESIGN.md §3), with
/// <c>grpc.health.v1.Health</c> and server reflection, its queue, wake-ups and reaper.
/// </summary>
internal static class AgentProtocolExtensions
{
    public static IHostApplicationBuilder AddAgentProtocol(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AgentProtocolOptions>()
            .BindConfiguration(AgentProtocolOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AgentProtocolOptions>, AgentProtocolOptionsValidator>();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentProtocolOptions>>().Value);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = AgentChannels.MaxMessageBytes;
            o.MaxSendMessageSize = AgentChannels.MaxMessageBytes;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<AgentErrorInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        // grpc.health.v1.Health answers from the readiness checks (the database): SERVING, or NOT_SERVING while it is unreachable.
        builder.Services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map(string.Empty, r => r.Tags.Contains(HealthEndpoints.ReadyTag));
            o.Services.Map(AgentService.Descriptor.FullName, r => r.Tags.Contains(HealthEndpoints.ReadyTag));
        });
        builder.Services.AddSingleton<AgentWakeups>();
        builder.Services.AddSingleton<PullHandoffs>();
        builder.Services.AddSingleton<AgentWakeupPublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AgentWakeupPublisher>());
        builder.Services.AddSingleton<JobOutputSignals>();
        builder.Services.AddSingleton<AgentTokenCache>();
        builder.Services.AddSingleton<INotificationHandler>(sp => sp.GetRequiredService<AgentTokenCache>());
        builder.Services.AddSingleton<AgentAuthenticator>();
        builder.Services.AddSingleton<AgentEnrollment>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton<LeaseReaper>();
        builder.Services.AddSingleton<INotificationHandler, AgentWakeupHandler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaseReaper>());
        return builder;
    }

    /// <summary>
    /// Maps <c>ops.agent.v1.AgentService</c> (no JWT: agents use their agent token), the gRPC
    /// health service and reflection (no authentication, so grpcurl and load balancers work).
    /// </summary>
    public static IEndpointRouteBuilder MapAgentProtocol(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<AgentRpcService>().AllowAnonymous();
        endpoints.MapGrpcHealthChecksService().AllowAnonymous();
        endpoints.MapGrpcReflectionService().AllowAnonymous();
        return endpoints;
    }
}
