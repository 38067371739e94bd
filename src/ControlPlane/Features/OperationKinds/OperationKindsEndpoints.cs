using Microsoft.AspNetCore.Http.HttpResults;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Infrastructure.Auth;

using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.OperationKinds;

/// <summary><c>/api/v1/operation-kinds</c> (DESIGN.md §6–7): the catalog with a JSON Schema per kind.</summary>
internal static class OperationKindsEndpoints
{
    public static RouteGroupBuilder MapOperationKindsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/operation-kinds")
            .WithTags("Operation kinds")
            .RequireAuthorization(Roles.Viewer);

        group.MapGet("/", ListOperationKinds)
            .WithName(nameof(ListOperationKinds))
            .WithSummary("The operation kinds with their risk, default timeout and parameters' JSON Schema.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{name}", GetOperationKind)
            .WithName(nameof(GetOperationKind))
            .WithSummary("One operation kind by exact name, e.g. host.disk.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return group;
    }

    public static Ok<IReadOnlyList<OperationKindResponse>> ListOperationKinds() =>
        TypedResults.Ok<IReadOnlyList<OperationKindResponse>>(OperationKindCatalog.All.Select(ToResponse).ToList());

    public static Results<Ok<OperationKindResponse>, ProblemHttpResult> GetOperationKind(string name) =>
        OperationKindCatalog.TryGet(name, out var kind)
            ? TypedResults.Ok(ToResponse(kind))
            : ApiProblems.NotFound($"operation kind '{name}'");

    private static OperationKindResponse ToResponse(OperationKind kind) => new(
        kind.Name, kind.Description, kind.Risk, (int)kind.DefaultTimeout.TotalSeconds, kind.RetrySafe, kind.SeedOrigin, ParameterSchema.For(kind));
}
