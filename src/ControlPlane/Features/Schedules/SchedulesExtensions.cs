using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>Registration of schedules: options, store, runner, approvals (resource type schedule), the scheduler loop and its <c>ops_schedules</c> wake-up.</summary>
internal static class SchedulesExtensions
{
    public static IHostApplicationBuilder AddSchedules(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SchedulesOptions>().BindConfiguration(SchedulesOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SchedulesOptions>, SchedulesOptionsValidator>();
        services.AddSingleton<ScheduleSignal>();
        services.AddSingleton<INotificationHandler>(sp => new SignalNotificationHandler(ScheduleSignal.Channel, sp.GetRequiredService<ScheduleSignal>()));
        services.TryAddSingleton<IScheduleRunbookStarter, UnavailableRunbookStarter>();
        services.AddSingleton<ScheduleApprovals>();
        services.AddSingleton<Approvals.IApprovalTarget, ScheduleApprovalTarget>();
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<ScheduleRunner>();
        services.AddHostedService<Scheduler>();
        return builder;
    }
}
