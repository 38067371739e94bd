namespace Ops.ControlPlane.Features.Dispatch;

/// <summary>Signals readers following a job's output live (<c>text/event-stream</c>) that chunks arrived or the job ended.</summary>
internal sealed class JobOutputSignals : KeyedSignals;
