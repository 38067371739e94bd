using System.Text.Json;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Validates a schedule on save (DESIGN.md §13) and reports every error by field path: the cron
/// expression (Cronos), a 6-field expression firing more often than
/// <see cref="SchedulesOptions.MinIntervalSeconds"/>, the IANA zone, exactly one of
/// <c>operation</c> / <c>runbook</c>, the operation as <see cref="CreateOperationRequestValidator"/>
/// checks it (errors under <c>operation.*</c>), the runbook and its parameters through
/// <see cref="IScheduleRunbookStarter.ValidateAsync"/>, and the bounds of the other fields.
/// Whether the target matches agents is checked at each slot (agents come and go).
/// </summary>
internal sealed class PutScheduleRequestValidator : AbstractValidator<PutScheduleRequest>
{
    public const int DefaultCatchupWindowSeconds = 3600;
    public const int MaxCatchupWindowSeconds = 7 * 24 * 3600;
    public const int MaxJitterSeconds = 3600;
    public const int MaxLocks = 20;

    private static readonly CreateOperationRequestValidator OperationValidator = new();

    public PutScheduleRequestValidator(IOptions<SchedulesOptions> options, IScheduleRunbookStarter runbooks, TimeProvider timeProvider)
    {
        var minInterval = TimeSpan.FromSeconds(options.Value.MinIntervalSeconds);

        RuleFor(r => r).Custom((request, context) =>
        {
            if (!ScheduleCron.TryParse(request.Cron, out var expression, out var error))
            {
                context.AddFailure(new ValidationFailure("cron", error));
                return;
            }

            if (ScheduleCron.HasSeconds(request.Cron!)
                && ScheduleCron.TryFindZone(request.TimeZone ?? ScheduleCron.DefaultTimeZone, out var zone)
                && ScheduleCron.ShortestGap(expression, zone, timeProvider.GetUtcNow()) is { } gap
                && gap < minInterval)
            {
                context.AddFailure(new ValidationFailure("cron",
                    $"'{request.Cron}' fires every {gap.TotalSeconds:0.###} s; the shortest interval allowed is {minInterval.TotalSeconds:0} s (Schedules:MinIntervalSeconds)."));
            }
        });

        RuleFor(r => r.TimeZone)
            .Must(z => ScheduleCron.TryFindZone(z, out _))
            .When(r => r.TimeZone is not null)
            .WithMessage(r => $"Unknown time zone '{r.TimeZone}': give an IANA zone such as UTC or Europe/Paris.");

        RuleFor(r => r).Custom((request, context) =>
        {
            switch (request.Operation, request.Runbook)
            {
                case (null, null):
                    context.AddFailure(new ValidationFailure("operation", "Give exactly one of operation or runbook: what each slot starts."));
                    context.AddFailure(new ValidationFailure("runbook", "Give exactly one of operation or runbook: what each slot starts."));
                    break;
                case (not null, not null):
                    context.AddFailure(new ValidationFailure("operation", "Give exactly one of operation or runbook, not both."));
                    context.AddFailure(new ValidationFailure("runbook", "Give exactly one of operation or runbook, not both."));
                    break;
                case (not null, null):
                    foreach (var failure in OperationValidator.Validate(request.Operation).Errors)
                    {
                        context.AddFailure(new ValidationFailure($"operation.{ErrorKeys.ToJsonPath(failure.PropertyName)}", failure.ErrorMessage));
                    }

                    if (request.Parameters is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
                    {
                        context.AddFailure(new ValidationFailure("parameters", "parameters belong to a runbook; an operation's parameters go in operation.parameters."));
                    }

                    break;
            }
        });

        RuleFor(r => r.Runbook!)
            .NotEmpty().WithMessage("The runbook name must not be empty.")
            .MaximumLength(100)
            .When(r => r.Runbook is not null && r.Operation is null);
        RuleFor(r => r).CustomAsync(async (request, context, cancellationToken) =>
        {
            if (request.Runbook is { Length: > 0 and <= 100 } runbook && request.Operation is null)
            {
                if (request.Parameters is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null and not JsonValueKind.Undefined })
                {
                    context.AddFailure(new ValidationFailure("parameters", "Runbook parameters must be a JSON object."));
                    return;
                }

                foreach (var (field, messages) in await runbooks.ValidateAsync(runbook, request.Parameters, cancellationToken))
                {
                    foreach (var message in messages)
                    {
                        context.AddFailure(new ValidationFailure(field, message));
                    }
                }
            }
        });

        RuleFor(r => r.CatchupWindowSeconds)
            .InclusiveBetween(0, MaxCatchupWindowSeconds)
            .WithMessage($"catchupWindowSeconds must be between 0 and {MaxCatchupWindowSeconds} (7 days).");
        RuleFor(r => r.JitterSeconds)
            .InclusiveBetween(0, MaxJitterSeconds)
            .WithMessage($"jitterSeconds must be between 0 and {MaxJitterSeconds}.");
        RuleFor(r => r.Description).MaximumLength(1000);

        RuleFor(r => r.Locks!).Custom((locks, context) =>
        {
            if (locks.Count > MaxLocks)
            {
                context.AddFailure(new ValidationFailure("locks", $"At most {MaxLocks} lock keys."));
            }

            if (locks.Any(l => string.IsNullOrWhiteSpace(l) || l.Length > 200 || l.Any(char.IsControl)))
            {
                context.AddFailure(new ValidationFailure("locks", "Lock keys are 1–200 characters without control characters, e.g. \"pg:demo\"."));
            }
            else if (locks.Distinct(StringComparer.Ordinal).Count() != locks.Count)
            {
                context.AddFailure(new ValidationFailure("locks", "Lock keys must be distinct."));
            }
        }).When(r => r.Locks is not null);
    }
}
