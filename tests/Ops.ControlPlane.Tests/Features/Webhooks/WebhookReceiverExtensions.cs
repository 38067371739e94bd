using System.Text.Json;
using WireMock.Logging;
using WireMock.Server;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>Reads what a WireMock receiver got.</summary>
internal static class WebhookReceiverExtensions
{
    public static IReadOnlyList<ILogEntry> Received(this WireMockServer server, string path) =>
        server.LogEntries.Where(e => e.RequestMessage.Path == path).OrderBy(e => e.RequestMessage.DateTime).ToList();

    public static string Header(this ILogEntry entry, string name) =>
        entry.RequestMessage.Headers!.First(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value.Single();

    public static JsonElement Json(this ILogEntry entry) => JsonDocument.Parse(entry.RequestMessage.Body!).RootElement;
}
