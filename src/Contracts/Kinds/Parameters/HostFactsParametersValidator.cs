using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="HostFactsParameters"/>: nothing to check.</summary>
public sealed class HostFactsParametersValidator : AbstractValidator<HostFactsParameters>;
