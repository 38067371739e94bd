using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.Contracts.Grpc;
using Ops.ControlPlane.Features.Dispatch;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>Registration and mapping of the agent gRPC service, its queue, LISTEN and reaper.</summary>
internal static class AgentProtocolExtensions
{
    public static IHostApplicationBuilder AddAgentProtocol(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AgentProtocolOptions.Section).Get<AgentProtocolOptions>() ?? new AgentProtocolOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<AgentWakeups>();
        builder.Services.AddSingleton<JobOutputSignals>();
        builder.Services.AddSingleton<AgentAuthenticator>();
        builder.Services.AddSingleton<AgentEnrollment>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton<AgentRpcService>();
        builder.Services.AddSingleton<LeaseReaper>();
        builder.Services.AddSingleton<Infrastructure.Storage.INotificationHandler, AgentWakeupHandler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaseReaper>());
        return builder;
    }

    /// <summary>Maps <c>POST /ops.agent.v1.AgentService/{method}</c> (no JWT: agents use their agent token).</summary>
    public static IEndpointConventionBuilder MapAgentProtocol(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGrpcService(endpoints.ServiceProvider.GetRequiredService<AgentRpcService>().Definition(), new GrpcServerOptions())
            .AllowAnonymous();
}
