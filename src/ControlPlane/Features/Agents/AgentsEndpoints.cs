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
        var size = PageQuery.Size(limit, 500, 100, errors);
        var before = PageQuery.After<Guid>(cursor, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rows = await store.ListAsync(before, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, a => a.Id.ToString()));
    }

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> GetAgent(Guid id, AgentStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } agent
            ? TypedResults.Ok(agent)
            : ApiProblems.NotFound($"agent {id}");

    public static async Task<Results<Ok<AgentResponse>, ProblemHttpResult>> RevokeAgent(
        Guid id, HttpContext httpContext, AgentStore store, CancellationToken cancellationToken) =>
        await store.RevokeAsync(id, Caller.From(httpContext), cancellationToken) is { } agent
            ? TypedResults.Ok(agent)
            : ApiProblems.NotFound($"agent {id}");
}
