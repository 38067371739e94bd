using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>Registers approvals: options (validated at start), the store, the operation target, the expiry step and its wake-up channel.</summary>
internal static class ApprovalsExtensions
{
    public static IHostApplicationBuilder AddApprovals(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApprovalsOptions>().BindConfiguration(ApprovalsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApprovalsOptions>, ApprovalsOptionsValidator>();
        builder.Services.AddSingleton<ApprovalStore>();
        builder.Services.AddSingleton<ApprovalSignal>();
        builder.Services.AddSingleton<INotificationHandler>(sp => new SignalNotificationHandler("ops_approvals", sp.GetRequiredService<ApprovalSignal>()));
        builder.Services.AddSingleton<IApprovalTarget, OperationApprovalTarget>();
        builder.Services.AddSingleton<OperationApprovals>();
        builder.Services.AddHostedService<ApprovalExpiryService>();
        return builder;
    }
}
