namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// One page of a keyset-paginated list (DESIGN.md §7): <see cref="Items"/> newest first and
/// <see cref="NextCursor"/>, the opaque cursor of the next page, <c>null</c> on the last page.
/// </summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
