namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>How a delivery's body is shaped: Standard Webhooks JSON, or a Slack incoming-webhook <c>{text}</c>.</summary>
internal static class WebhookFormat
{
    public const string Standard = "standard";
    public const string Slack = "slack";

    public static IReadOnlyList<string> All { get; } = [Standard, Slack];
}
