using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="HostStatsParameters"/>.</summary>
public sealed class HostStatsParametersValidator : AbstractValidator<HostStatsParameters>
{
    /// <summary>Creates the rules.</summary>
    public HostStatsParametersValidator() => RuleFor(p => p.SampleMs).InclusiveBetween(100, 60_000);
}
