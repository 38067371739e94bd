using Microsoft.Extensions.Configuration;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>The API base URL that <c>format: slack</c> messages link to: <c>Webhooks:PublicBaseUrl</c>, else <c>http://127.0.0.1:$OPS_HTTP_PORT</c>.</summary>
internal sealed class WebhookLinks(WebhooksOptions options, IConfiguration configuration)
{
    public string BaseUrl { get; } = string.IsNullOrWhiteSpace(options.PublicBaseUrl)
        ? $"http://127.0.0.1:{configuration["OPS_HTTP_PORT"] ?? "8080"}"
        : options.PublicBaseUrl.TrimEnd('/');
}
