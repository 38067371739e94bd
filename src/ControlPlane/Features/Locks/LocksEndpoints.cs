using Microsoft.AspNetCore.Http.HttpResults;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Features.Locks;

/// <summary><c>GET /api/v1/locks</c> (viewer): held locks and their FIFO queues (DESIGN.md §11).</summary>
internal static class LocksEndpoints
{
    public static RouteGroupBuilder MapLocksEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/locks")
            .WithTags("Locks")
            .RequireAuthorization(Roles.Viewer);

        group.MapGet("/", ListLocks)
            .WithName(nameof(ListLocks))
            .WithSummary("List held locks with their holder (an operation or a runbook run) and the FIFO queue of waiters.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return group;
    }

    public static async Task<Ok<LocksResponse>> ListLocks(LockStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new LocksResponse(await store.ListAsync(cancellationToken)));
}

/// <summary>Body of <c>GET /api/v1/locks</c>.</summary>
public sealed record LocksResponse(IReadOnlyList<LockResponse> Items);
