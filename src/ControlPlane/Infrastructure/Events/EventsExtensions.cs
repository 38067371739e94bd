using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Infrastructure.Events;

/// <summary>Registers the event log writer, the wake-up signals and the one LISTEN connection.</summary>
internal static class EventsExtensions
{
    public static IHostApplicationBuilder AddOpsEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventWriter>();
        builder.Services.AddSingleton<EventSignal>();
        builder.Services.AddSingleton<OperationSignal>();
        builder.Services.AddSingleton<INotificationHandler>(sp => new SignalNotificationHandler("ops_events", sp.GetRequiredService<EventSignal>()));
        builder.Services.AddSingleton<INotificationHandler>(sp => new SignalNotificationHandler("ops_operations", sp.GetRequiredService<OperationSignal>()));
        builder.Services.AddHostedService<NotificationListener>();
        return builder;
    }
}
