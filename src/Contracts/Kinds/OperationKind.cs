using FluentValidation;

namespace Ops.Contracts.Kinds;

/// <summary>
/// One entry of the operation kind catalog (DESIGN.md §6): a named, typed action an agent can
/// perform. The same descriptor is used by the control plane at submit time and by the agent
/// before it runs a job, so both sides validate parameters with the same rules.
/// </summary>
/// <param name="Name">Exact kind name, e.g. <c>host.disk</c>; a contract with agents.</param>
/// <param name="Description">One line for people, shown in the catalog.</param>
/// <param name="Risk">Risk level; decides the minimum role to submit it.</param>
/// <param name="DefaultTimeout">Deadline applied when the request gives no <c>timeoutSeconds</c>.</param>
/// <param name="RetrySafe">Whether a job lost with its agent may be re-queued instead of ending <c>lost</c>.</param>
/// <param name="ParametersType">The parameter record deserialised from the request's <c>parameters</c>.</param>
/// <param name="Validator">FluentValidation validator for <paramref name="ParametersType"/>.</param>
/// <param name="SeedOrigin">The runbook practice this kind replaces (a seed in <c>shared/seeds</c>).</param>
public sealed record OperationKind(
    string Name,
    string Description,
    OperationRisk Risk,
    TimeSpan DefaultTimeout,
    bool RetrySafe,
    Type ParametersType,
    IValidator Validator,
    string SeedOrigin);
