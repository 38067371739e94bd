using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// One version of a runbook: its document as stored (canonical JSON), the JSON Schema of its
/// run parameters (<see cref="ParameterSchema"/>, DESIGN.md §12), who saved it and when, and
/// whether the runbook is archived (<c>DELETE</c>; runs keep their version).
/// </summary>
public sealed record RunbookResponse(
    string Name,
    int Version,
    int LatestVersion,
    string? Description,
    JsonElement Document,
    JsonObject ParameterSchema,
    bool RequiresApproval,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ArchivedAt);
