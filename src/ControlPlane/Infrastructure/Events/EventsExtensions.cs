using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>Registers the event log writer and the one LISTEN connection of every feature's channel.</summary>
internal static class EventsExtensions
{
    public static IHostApplicationBuilder AddOpsEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventWriter>();
        builder.Services.AddHostedService<NotificationListener>();
        builder.Services.AddSingleton<ReplicaPresence>();
        builder.Services.AddSingleton<INotificationHandler, ReplicaNotificationHandler>();
        return builder;
    }
}
