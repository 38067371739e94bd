namespace Ops.ControlPlane.Features.Jobs;

/// <summary>
/// A page of a job's output (DESIGN.md §7): chunks after <c>afterSeq</c> in order;
/// <see cref="Truncated"/> when the stored output hit its bound (head and tail kept);
/// <see cref="Complete"/> when the job has ended and no chunk follows the last one returned;
/// <see cref="LastSeq"/> is the <c>afterSeq</c> of the next read.
/// </summary>
public sealed record JobOutputResponse(IReadOnlyList<OutputChunkResponse> Chunks, bool Truncated, bool Complete, long LastSeq);
