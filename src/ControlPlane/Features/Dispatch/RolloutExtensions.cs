using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>Registers rollout release (DESIGN.md §11): its signal on <c>ops_rollout</c> and the releaser.</summary>
internal static class RolloutExtensions
{
    public static IHostApplicationBuilder AddRollout(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RolloutSignal>();
        builder.Services.AddSingleton<INotificationHandler>(sp => new SignalNotificationHandler("ops_rollout", sp.GetRequiredService<RolloutSignal>()));
        builder.Services.AddSingleton<RolloutReleaser>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RolloutReleaser>());
        return builder;
    }
}
