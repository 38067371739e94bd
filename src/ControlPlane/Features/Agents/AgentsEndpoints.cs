using Microsoft.AspNetCore.Http.HttpResults;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Agents;

/// <summary><c>/api/v1/agents</c> (DESIGN.md §7): inventory (viewer) and revocation (admin).</summary>
internal static class AgentsEndpoints
{
    public static RouteGroupBuilder MapAgentsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/agents")
            .WithTags("Agents")
            .RequireAuthorization(Roles.Viewer);

        group.MapGet("/", ListAgents)
            .WithName(nameof(ListAgents))
            .WithSummary("List agents, newest enrollment first: hostname, labels, facts, capabilities, version, status, lastSeenAt.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{id:guid}", GetAgent)
            .WithName(nameof(GetAgent))
            .WithSummary("Get one agent with its facts and latest host stats.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/{id:guid}/revoke", RevokeAgent)
            .WithName(nameof(RevokeAgent))
            .WithSummary("Revoke the agent's token at once; its next call is refused. Its unfinished jobs end.")
            .RequireAuthorization(Roles.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        return group;
    }

    public static async Task<Results<Ok<Page<AgentResponse>>, ValidationProblem>> ListAgents(
        int? limit, string? cursor, AgentStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (limit is < 1 or > 500)
        {
            errors["limit"] = ["limit must be between 1 and 500."];
        }

        Guid? before = null;
        if (cursor is not null)
        {
            if (Cursor.TryDecodeGuid(cursor, out var id))
            {
                before = id;
            }
            else
            {
                errors["cursor"] = ["Invalid cursor: pass nextCursor from a previous page."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var size = limit ?? 100;
        var items = await store.ListAsync(before, size + 1, cancellationToken);
        var page = items.Take(size).ToList();
        return TypedResults.Ok(new Page<AgentResponse>(page, items.Count > size ? Cursor.Encode(page[^1].Id.ToString()) : null));
    }

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> GetAgent(Guid id, AgentStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } agent
            ? TypedResults.Ok(agent)
            : TypedResults.Problem($"No agent {id}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> RevokeAgent(
        Guid id, HttpContext httpContext, AgentStore store, CancellationToken cancellationToken) =>
        await store.RevokeAsync(id, Caller.From(httpContext), cancellationToken) is { } agent
            ? TypedResults.Ok(agent)
            : TypedResults.Problem($"No agent {id}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
