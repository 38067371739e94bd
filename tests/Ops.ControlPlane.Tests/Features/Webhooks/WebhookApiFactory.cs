using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Ops.ControlPlane.Features.Webhooks;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>
/// The control plane with webhook retries in milliseconds instead of seconds, a fixed secret key
/// (so replicas and restarts share it), and loopback receivers allowed (the WireMock servers).
/// </summary>
public class WebhookApiFactory : OpsApiFactory
{
    /// <summary>Base64 of 32 fixed bytes: the AES key of the signing secrets in these tests.</summary>
    public const string SecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    public WebhookApiFactory()
    {
        Settings["Webhooks:AllowPrivateNetworks"] = "true";
        Settings["Webhooks:RetryBaseDelay"] = "00:00:00.050";
        Settings["Webhooks:RetryMaxDelay"] = "00:00:00.200";
        Settings["Webhooks:SecretKey"] = SecretKey;
    }

    /// <summary>Replaces DNS (to simulate a host name that resolves differently at save and at delivery).</summary>
    internal IWebhookHostResolver? Resolver { get; set; }

    /// <summary>Sets a configuration value before the host starts.</summary>
    public void Set(string key, string? value) => Settings[key] = value;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (Resolver is { } resolver)
        {
            builder.ConfigureTestServices(s => s.AddSingleton(resolver));
        }
    }

    /// <summary>Appends an event as a state change would (the SQL function every writer uses); returns its id.</summary>
    public Task<long> EmitAsync(string type, string resourceType, string resourceId, object data) =>
        QueryScalarAsync<long>(
            "SELECT emit_event(@type, @resourceType, @resourceId, @data::jsonb)",
            new { type, resourceType, resourceId, data = System.Text.Json.JsonSerializer.Serialize(data) });
}

/// <summary>The same without <c>Webhooks:AllowPrivateNetworks</c>: the production default.</summary>
public sealed class StrictWebhookApiFactory : WebhookApiFactory
{
    public StrictWebhookApiFactory()
    {
        Set("Webhooks:AllowPrivateNetworks", "false");
    }
}
