using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// Registers alerts: the rule store, the state machine, the evaluator woken by <c>ops_alerts</c>,
/// and the default remediation (<see cref="UnavailableAlertRemediation"/>; the runbook engine
/// registers its <see cref="IAlertRemediation"/> before this to replace it).
/// </summary>
internal static class AlertsExtensions
{
    public static IHostApplicationBuilder AddAlerts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<AlertRuleStore>();
        services.AddSingleton<AlertTransitions>();
        services.AddSingleton<AlertWork>();
        services.AddSingleton<INotificationHandler>(sp => sp.GetRequiredService<AlertWork>());
        services.TryAddSingleton<IAlertRemediation, UnavailableAlertRemediation>();
        services.AddSingleton<AlertEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEvaluator>());
        return builder;
    }
}
