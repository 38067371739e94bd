namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// A webhook as the API shows it. <see cref="Secret"/> (<c>whsec_…</c>) is present only in the
/// response that created the webhook: it is never shown again.
/// </summary>
internal sealed record WebhookResponse(
    string Name,
    string Url,
    IReadOnlyList<string> Events,
    string Format,
    string? Description,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? DisabledAt,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Secret = null);
