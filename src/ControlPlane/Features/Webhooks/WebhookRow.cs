using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>A <c>webhooks</c> row as Dapper reads it.</summary>
internal sealed class WebhookRow
{
    public const string Columns = "name, url, events, format, description, enabled, disabled_reason, disabled_at, created_by, created_at, updated_at";

    public string Name { get; set; } = "";
    public string Url { get; set; } = "";
    public string[] Events { get; set; } = [];
    public string Format { get; set; } = WebhookFormat.Standard;
    public string? Description { get; set; }
    public bool Enabled { get; set; }
    public string? DisabledReason { get; set; }
    public DateTime? DisabledAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public WebhookResponse ToResponse(string? secret = null) => new(
        Name, Url, Events, Format, Description, Enabled, DisabledReason, DbTime.Utc(DisabledAt), CreatedBy, DbTime.Utc(CreatedAt), DbTime.Utc(UpdatedAt), secret);
}
