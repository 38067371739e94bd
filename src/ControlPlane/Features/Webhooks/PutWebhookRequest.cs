namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Body of <c>PUT /api/v1/webhooks/{name}</c> (DESIGN.md §15).
/// </summary>
/// <param name="Url">The receiver: absolute <c>http(s)</c> URL, no user info; refused on link-local addresses, and on loopback or private networks unless <c>Webhooks:AllowPrivateNetworks</c>.</param>
/// <param name="Events">Event types delivered, from DESIGN.md §15 (<c>operation.failed</c>, <c>alert.firing</c> …); at least one.</param>
/// <param name="Format"><c>standard</c> (default: Standard Webhooks JSON <c>{type, timestamp, data}</c>) or <c>slack</c> (<c>{text}</c>).</param>
/// <param name="Description">Free text, at most 500 characters.</param>
/// <param name="Enabled">Default true; saving a webhook that a 410 disabled enables it again.</param>
internal sealed record PutWebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Format, string? Description, bool? Enabled);
