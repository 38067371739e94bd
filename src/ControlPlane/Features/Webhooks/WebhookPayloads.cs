using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Request bodies of deliveries. <c>standard</c>: the Standard Webhooks payload
/// <c>{"type", "timestamp", "data"}</c> (DESIGN.md §15), <c>timestamp</c> being the event's time
/// (ISO 8601 UTC) and <c>data</c> the event's data as written. <c>slack</c>: a Slack incoming
/// webhook message <c>{"text"}</c>, one readable line ending with a link to the REST resource.
/// </summary>
internal static class WebhookPayloads
{
    /// <summary>The body bytes for <paramref name="format"/>.</summary>
    public static byte[] Body(string format, WebhookEvent e, string publicBaseUrl) =>
        format == WebhookFormat.Slack ? Slack(e, publicBaseUrl) : Standard(e);

    public static byte[] Standard(WebhookEvent e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", e.Type);
            writer.WriteString("timestamp", e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            writer.WritePropertyName("data");
            writer.WriteRawValue(e.Data, skipInputValidation: false);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static byte[] Slack(WebhookEvent e, string publicBaseUrl) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["text"] = SlackText(e, publicBaseUrl) });

    /// <summary>One line: <c>[Ops] alert.firing: critical alert cpu-high on web-1 (value 93.5) &lt;link|alert …&gt;</c>.</summary>
    public static string SlackText(WebhookEvent e, string publicBaseUrl)
    {
        using var document = JsonDocument.Parse(e.Data);
        var d = document.RootElement;
        string S(string property) => d.ValueKind == JsonValueKind.Object && d.TryGetProperty(property, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? "" : v.GetRawText()
            : "";
        var summary = e.Type switch
        {
            "operation.succeeded" or "operation.failed" => $"operation {S("kind")} {S("status")} ({S("jobs")} job(s)), by {S("createdBy")}",
            "runbook_run.succeeded" or "runbook_run.failed" or "runbook_run.rolled_back" =>
                $"runbook {S("runbook")} v{S("version")} {S("status")}, requested by {S("requestedBy")}",
            "approval.requested" => $"approval needed for {S("resourceType")} {S("resourceId")}, requested by {S("requestedBy")}",
            "approval.decided" => $"approval {S("status")} for {S("resourceType")} {S("resourceId")}",
            "schedule.slot_failed" or "schedule.slot_missed" => $"schedule {S("schedule")} slot {S("slotAt")} {S("status")}",
            "alert.firing" or "alert.resolved" =>
                $"{S("severity")} alert {S("rule")} {S("state")} on {Coalesce(S("hostname"), S("agentId"), S("schedule"))}" +
                (S("mount") is { Length: > 0 } mount ? $" ({mount})" : "") +
                (S("value") is { Length: > 0 } value ? $", value {value}" : ""),
            "agent.offline" => $"agent {Coalesce(S("hostname"), S("agentId"))} offline, last seen {S("lastSeenAt")}",
            "test" => S("message"),
            _ => $"{e.ResourceType} {e.ResourceId}",
        };
        var link = $"{publicBaseUrl.TrimEnd('/')}{ResourcePath(e.ResourceType, e.ResourceId)}";
        return new StringBuilder("[Ops] ").Append(e.Type).Append(": ").Append(Escape(summary))
            .Append(" <").Append(link).Append('|').Append(Escape($"{e.ResourceType} {e.ResourceId}")).Append('>').ToString();
    }

    /// <summary>The REST path of an event's resource.</summary>
    public static string ResourcePath(string resourceType, string resourceId) => resourceType switch
    {
        "operation" => $"/api/v1/operations/{Uri.EscapeDataString(resourceId)}",
        "runbook_run" => $"/api/v1/runbook-runs/{Uri.EscapeDataString(resourceId)}",
        "approval" => $"/api/v1/approvals/{Uri.EscapeDataString(resourceId)}",
        "schedule" => $"/api/v1/schedules/{Uri.EscapeDataString(resourceId)}",
        "alert" => $"/api/v1/alerts/{Uri.EscapeDataString(resourceId)}",
        "agent" => $"/api/v1/agents/{Uri.EscapeDataString(resourceId)}",
        "webhook" => $"/api/v1/webhooks/{Uri.EscapeDataString(resourceId)}",
        _ => "/api/v1",
    };

    private static string Coalesce(params string[] values) => values.FirstOrDefault(v => v.Length > 0) ?? "?";

    // Slack's mrkdwn control characters (api.slack.com "Escaping text").
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
