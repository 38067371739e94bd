using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="QueueCheckParameters"/>: a policy name, a queue and vhost of at most 255 characters (AMQP short strings), bounded thresholds.</summary>
public sealed class QueueCheckParametersValidator : AbstractValidator<QueueCheckParameters>
{
    /// <summary>Creates the rules.</summary>
    public QueueCheckParametersValidator()
    {
        RuleFor(p => p.Endpoint).PolicyName();
        RuleFor(p => p.Queue).NotEmpty().MaximumLength(255)
            .Must(q => q is null || !q.Any(char.IsControl)).WithMessage("queue has no control characters.");
        RuleFor(p => p.Vhost).MaximumLength(255)
            .Must(v => v is null || (v.Length > 0 && !v.Any(char.IsControl))).WithMessage("vhost is 1–255 characters without control characters.");
        RuleFor(p => p.MaxMessages).GreaterThanOrEqualTo(0L);
        RuleFor(p => p.MinConsumers).InclusiveBetween(0, 100_000);
    }
}
