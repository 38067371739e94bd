using FluentValidation;
using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Validates a webhook's shape: url present and at most 2,000 characters, known distinct event
/// types, a known format. Whether the URL's addresses are allowed is checked by
/// <see cref="WebhookTargetGuard"/> in the handler (it needs DNS).
/// </summary>
internal sealed class PutWebhookRequestValidator : AbstractValidator<PutWebhookRequest>
{
    public PutWebhookRequestValidator()
    {
        RuleFor(r => r.Url).NotEmpty().WithMessage("url is required.");
        RuleFor(r => r.Url).MaximumLength(2000).When(r => r.Url is not null);
        RuleFor(r => r.Events).NotEmpty().WithMessage($"List at least one event type: {string.Join(", ", EventTypes.All)}.");
        RuleForEach(r => r.Events)
            .Must(e => e is not null && EventTypes.All.Contains(e))
            .WithMessage((_, e) => $"Unknown event type '{e}'. Known types: {string.Join(", ", EventTypes.All)}.");
        RuleFor(r => r.Events)
            .Must(e => e!.Distinct(StringComparer.Ordinal).Count() == e!.Count)
            .When(r => r.Events is not null)
            .WithMessage("Event types must be distinct.");
        RuleFor(r => r.Format)
            .Must(f => f is null || WebhookFormat.All.Contains(f))
            .WithMessage(r => $"Unknown format '{r.Format}'. Expected standard or slack.");
        RuleFor(r => r.Description).MaximumLength(500);
    }
}
