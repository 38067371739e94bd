using System.Text.Json.Nodes;
using Ops.Contracts.Kinds;

namespace Ops.ControlPlane.Features.OperationKinds;

/// <summary>
/// A catalog entry (DESIGN.md §6): name, description, risk, default timeout in seconds, whether
/// a lost job may be retried, the runbook practice it replaces and the JSON Schema of its
/// parameters.
/// </summary>
public sealed record OperationKindResponse(
    string Name,
    string Description,
    OperationRisk Risk,
    int DefaultTimeoutSeconds,
    bool RetrySafe,
    string SeedOrigin,
    JsonObject ParametersSchema);
