using System.Text.Json;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>Body of <c>POST /api/v1/runbooks/{name}/runs</c>: the run's <paramref name="Parameters"/> (a JSON object checked against the runbook's schema) and optionally a <paramref name="Version"/> (default: the latest).</summary>
public sealed record CreateRunRequest(JsonElement? Parameters = null, int? Version = null);
