using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.ControlPlane.Infrastructure.Events;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>Registers webhooks: options (validated at start), secrets, the SSRF guard, the delivery client and the dispatcher.</summary>
internal static class WebhooksExtensions
{
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(WebhooksOptions.Section).Get<WebhooksOptions>() ?? new WebhooksOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join("; ", errors.Select(e => $"{e.Key} {e.Value}")));
        }

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookLinks>();
        services.AddSingleton<IWebhookHostResolver, DnsWebhookHostResolver>();
        services.AddSingleton<WebhookTargetGuard>();
        services.AddSingleton<WebhookStore>();
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<INotificationHandler>(sp => new SignalNotificationHandler("ops_webhooks", sp.GetRequiredService<WebhookSignal>()));
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // the dispatcher bounds each attempt itself
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Ops-Webhooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var guard = sp.GetRequiredService<WebhookTargetGuard>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    ConnectTimeout = options.RequestTimeout,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = guard.ConnectAsync,
                };
            })
            .RemoveAllLoggers();
        services.AddHostedService<WebhookDispatcher>();
        return builder;
    }
}
