using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="AgentPingParameters"/>: there is nothing to check.</summary>
public sealed class AgentPingParametersValidator : AbstractValidator<AgentPingParameters>;
