namespace Ops.ControlPlane.Features.Operations;

/// <summary>Links an operation to the runbook run that created it: a step (<paramref name="Step"/> its name) or a step's health gate (<c>&lt;step&gt;.gate</c>); <paramref name="Gated"/>: its rollout waits for a health gate after each batch.</summary>
internal sealed record OperationLink(Guid RunId, string Step, bool Gated);
