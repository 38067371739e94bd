using FluentValidation;
using FluentValidation.Results;
using Ops.Contracts.Kinds;
using Ops.Contracts.Runbooks;
using Ops.ControlPlane.Features.Locks;

namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// Validates a submission: a known kind, parameters valid for that kind (the kind's own
/// validator, errors under <c>parameters.*</c>), exactly one target form, bounded limits.
/// Whether the target matches agents is checked against the database by the handler.
/// </summary>
internal sealed class CreateOperationRequestValidator : AbstractValidator<CreateOperationRequest>
{
    public const int MaxAgentIds = 1000;
    public const int DefaultPriority = 50;

    public CreateOperationRequestValidator()
    {
        RuleFor(r => r.Kind).NotEmpty().WithMessage("The operation kind is required.");
        RuleFor(r => r.Kind)
            .Must(k => OperationKindCatalog.TryGet(k, out _))
            .When(r => !string.IsNullOrEmpty(r.Kind))
            .WithMessage(r => $"Unknown operation kind '{r.Kind}'. Known kinds: {string.Join(", ", OperationKindCatalog.All.Select(k => k.Name))}.");

        RuleFor(r => r).Custom((request, context) =>
        {
            if (OperationKindCatalog.TryGet(request.Kind, out var kind))
            {
                var binding = ParameterBinder.Bind(kind, request.Parameters);
                foreach (var (field, messages) in binding.Errors)
                {
                    foreach (var message in messages)
                    {
                        context.AddFailure(new ValidationFailure(field, message));
                    }
                }
            }
        });

        RuleFor(r => r.Target).NotNull().WithMessage("A target is required: one of agentIds, labels or all.");
        RuleFor(r => r.Target!).Custom((target, context) =>
        {
            var forms = (target.AgentIds is not null ? 1 : 0) + (target.Labels is not null ? 1 : 0) + (target.All is not null ? 1 : 0);
            if (forms != 1)
            {
                context.AddFailure(new ValidationFailure("target", "Give exactly one of target.agentIds, target.labels or target.all."));
                return;
            }

            if (target.AgentIds is { } ids)
            {
                if (ids.Count == 0)
                {
                    context.AddFailure(new ValidationFailure("target.agentIds", "List at least one agent id."));
                }
                else if (ids.Count > MaxAgentIds)
                {
                    context.AddFailure(new ValidationFailure("target.agentIds", $"At most {MaxAgentIds} agent ids."));
                }
                else if (ids.Distinct().Count() != ids.Count)
                {
                    context.AddFailure(new ValidationFailure("target.agentIds", "Agent ids must be distinct."));
                }
            }

            if (target.Labels is { } labels)
            {
                if (labels.Count == 0)
                {
                    context.AddFailure(new ValidationFailure("target.labels", "Give at least one label; use target.all for every agent."));
                }
                else if (labels.Count > 20 || labels.Any(l => l.Key.Length is 0 or > 63 || l.Value is null || l.Value.Length > 255))
                {
                    context.AddFailure(new ValidationFailure("target.labels", "At most 20 labels; keys of 1–63 characters, values of at most 255."));
                }
            }

            if (target.All is false)
            {
                context.AddFailure(new ValidationFailure("target.all", "target.all must be true when given."));
            }
        }).When(r => r.Target is not null);

        RuleFor(r => r.TimeoutSeconds).InclusiveBetween(1, 86_400);
        RuleFor(r => r.Priority).InclusiveBetween(0, 100);
        RuleFor(r => r.Rollout!).Custom((rollout, context) =>
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            RolloutRules.Validate(rollout, "rollout", errors);
            foreach (var (field, messages) in errors)
            {
                foreach (var message in messages)
                {
                    context.AddFailure(new ValidationFailure(field, message));
                }
            }
        }).When(r => r.Rollout is not null);
        RuleFor(r => r.Locks!).Custom((locks, context) =>
        {
            foreach (var (field, message) in LockKeys.Validate(locks, "locks"))
            {
                context.AddFailure(new ValidationFailure(field, message));
            }
        }).When(r => r.Locks is not null);
        RuleFor(r => r.LockTimeoutSeconds).InclusiveBetween(1, LockKeys.MaxTimeoutSeconds);
    }
}
