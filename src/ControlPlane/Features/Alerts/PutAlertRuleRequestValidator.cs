using FluentValidation;
using FluentValidation.Results;
using Ops.ControlPlane.Features.Webhooks;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary>
/// Validates an alert rule (DESIGN.md §15), every error at once: exactly one of a host rule
/// (<c>metric</c>) or a schedule rule (<c>schedule</c>); a host rule needs <c>op</c> and
/// <c>threshold</c> (except <c>agent_offline</c>), <c>mount</c> only on disk metrics, percentages
/// within 0–100; a schedule rule needs <c>consecutiveFailures</c>; a known severity; remediation
/// <c>parameters</c> only with a <c>runbook</c>, with known references only. Whether the schedule
/// or runbook exists is not required (they may be saved later).
/// </summary>
internal sealed class PutAlertRuleRequestValidator : AbstractValidator<PutAlertRuleRequest>
{
    public PutAlertRuleRequestValidator()
    {
        RuleFor(r => r.Severity).NotEmpty().WithMessage("severity is required: info, warning or critical.");
        RuleFor(r => r.Severity).Must(s => AlertSeverities.All.Contains(s!)).When(r => !string.IsNullOrEmpty(r.Severity))
            .WithMessage(r => $"Unknown severity '{r.Severity}'. Expected info, warning or critical.");
        RuleFor(r => r.Description).MaximumLength(500);

        RuleFor(r => r).Custom((r, context) =>
        {
            if ((r.Metric is null) == (r.Schedule is null))
            {
                context.AddFailure(new ValidationFailure("metric", "Give exactly one of metric (a host rule) or schedule (a schedule rule)."));
                return;
            }

            if (r.Metric is { } metric)
            {
                ValidateHostRule(r, metric, context);
            }
            else
            {
                ValidateScheduleRule(r, context);
            }
        });

        RuleFor(r => r.Runbook).Must(WebhookNames.IsValid).When(r => r.Runbook is not null).WithMessage($"runbook: {WebhookNames.Rule}");
        RuleFor(r => r).Custom((r, context) =>
        {
            if (r.Parameters is not { } parameters || parameters.ValueKind == System.Text.Json.JsonValueKind.Null)
            {
                return;
            }

            if (r.Runbook is null)
            {
                context.AddFailure(new ValidationFailure("parameters", "parameters are the remediation runbook's: give runbook too."));
                return;
            }

            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            AlertParameters.Validate(parameters, errors);
            foreach (var (path, messages) in errors)
            {
                foreach (var message in messages)
                {
                    context.AddFailure(new ValidationFailure(path, message));
                }
            }
        });
    }

    private static void ValidateHostRule(PutAlertRuleRequest r, string metric, ValidationContext<PutAlertRuleRequest> context)
    {
        if (!AlertMetricNames.All.Contains(metric))
        {
            context.AddFailure(new ValidationFailure("metric", $"Unknown metric '{metric}'. Expected one of {string.Join(", ", AlertMetricNames.All)}."));
            return;
        }

        if (r.ConsecutiveFailures is not null)
        {
            context.AddFailure(new ValidationFailure("consecutiveFailures", "consecutiveFailures belongs to schedule rules."));
        }

        if (metric == AlertMetricNames.AgentOffline)
        {
            if (r.Op is not null || r.Threshold is not null)
            {
                context.AddFailure(new ValidationFailure("op", "agent_offline takes no op or threshold: it matches once the agent is past the offline threshold."));
            }
        }
        else
        {
            if (r.Op is not ("<" or ">"))
            {
                context.AddFailure(new ValidationFailure("op", "op is required: \"<\" or \">\"."));
            }

            if (r.Threshold is not { } threshold)
            {
                context.AddFailure(new ValidationFailure("threshold", "threshold is required."));
            }
            else if (!double.IsFinite(threshold) || threshold < 0)
            {
                context.AddFailure(new ValidationFailure("threshold", "threshold must be a finite number ≥ 0."));
            }
            else if (metric.EndsWith("_percent", StringComparison.Ordinal) && threshold > 100)
            {
                context.AddFailure(new ValidationFailure("threshold", "a percentage threshold is at most 100."));
            }
        }

        if (r.Mount is not null && !AlertMetricNames.IsPerMount(metric))
        {
            context.AddFailure(new ValidationFailure("mount", "mount applies to disk_free_bytes and disk_free_percent only."));
        }
        else if (r.Mount is { Length: 0 or > 1024 })
        {
            context.AddFailure(new ValidationFailure("mount", "mount must be 1–1,024 characters."));
        }

        if (r.ForSeconds is < 0 or > 86_400)
        {
            context.AddFailure(new ValidationFailure("forSeconds", "forSeconds must be between 0 and 86,400."));
        }

        if (r.Target is { } target)
        {
            if (target.Labels is not { Count: > 0 } labels)
            {
                context.AddFailure(new ValidationFailure("target.labels", "Give at least one label, or leave target out to watch every agent."));
            }
            else if (labels.Count > 20 || labels.Any(l => l.Key.Length is 0 or > 63 || l.Value is null || l.Value.Length > 255))
            {
                context.AddFailure(new ValidationFailure("target.labels", "At most 20 labels; keys of 1–63 characters, values of at most 255."));
            }
        }
    }

    private static void ValidateScheduleRule(PutAlertRuleRequest r, ValidationContext<PutAlertRuleRequest> context)
    {
        if (!WebhookNames.IsValid(r.Schedule))
        {
            context.AddFailure(new ValidationFailure("schedule", $"schedule: {WebhookNames.Rule}"));
        }

        if (r.ConsecutiveFailures is not { } n)
        {
            context.AddFailure(new ValidationFailure("consecutiveFailures", "consecutiveFailures is required for a schedule rule."));
        }
        else if (n is < 1 or > 1000)
        {
            context.AddFailure(new ValidationFailure("consecutiveFailures", "consecutiveFailures must be between 1 and 1,000."));
        }

        foreach (var (field, present) in new[] { ("op", r.Op is not null), ("threshold", r.Threshold is not null), ("mount", r.Mount is not null), ("target", r.Target is not null), ("forSeconds", r.ForSeconds is not null) })
        {
            if (present)
            {
                context.AddFailure(new ValidationFailure(field, $"{field} belongs to host rules; a schedule rule has schedule and consecutiveFailures."));
            }
        }
    }
}
