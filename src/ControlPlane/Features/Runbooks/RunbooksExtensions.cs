using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>Registers runbooks (DESIGN.md §12): stores, the engine and its wake-ups on <c>ops_runbooks</c>.</summary>
internal static class RunbooksExtensions
{
    public static IHostApplicationBuilder AddRunbooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RunbookStore>();
        builder.Services.AddSingleton<RunbookRunStore>();
        builder.Services.AddSingleton<RunbookWakeups>();
        builder.Services.AddSingleton<INotificationHandler>(sp => sp.GetRequiredService<RunbookWakeups>());
        builder.Services.AddSingleton<RunbookEngine>();
        builder.Services.AddSingleton<Approvals.IApprovalTarget, RunbookRunApprovalTarget>();
        builder.Services.AddSingleton<Schedules.IScheduleRunbookStarter, ScheduleRunbookStarter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunbookEngine>());
        return builder;
    }
}
