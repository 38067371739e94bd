namespace Ops.ControlPlane.Features.Jobs;

/// <summary>One output chunk: <see cref="Seq"/> orders chunks of an attempt; <see cref="Stream"/> is <c>stdout</c>, <c>stderr</c> or <c>system</c>; <see cref="Text"/> is UTF-8 (invalid bytes replaced).</summary>
public sealed record OutputChunkResponse(long Seq, string Stream, string Text, DateTimeOffset At);
