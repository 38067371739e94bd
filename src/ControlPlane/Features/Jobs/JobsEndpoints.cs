using Microsoft.AspNetCore.Http.HttpResults;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Features.Jobs;

/// <summary><c>/api/v1/jobs</c> (DESIGN.md §7): one job, and its output read by <c>afterSeq</c>.</summary>
internal static class JobsEndpoints
{
    public static RouteGroupBuilder MapJobsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/jobs")
            .WithTags("Jobs")
            .RequireAuthorization(Roles.Viewer);

        group.MapGet("/{id:guid}", GetJob)
            .WithName(nameof(GetJob))
            .WithSummary("Get one job: agent, status, attempt, exit code, result, error, times.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{id:guid}/output", GetJobOutput)
            .WithName(nameof(GetJobOutput))
            .WithSummary("Read a job's output after a sequence number (afterSeq, default 0), up to limit chunks (default 500).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return group;
    }

    public static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetJob(Guid id, JobStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } job
            ? TypedResults.Ok(job)
            : TypedResults.Problem($"No job {id}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static async Task<Results<Ok<JobOutputResponse>, ValidationProblem, ProblemHttpResult>> GetJobOutput(
        Guid id, long? afterSeq, int? limit, JobStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (afterSeq < 0)
        {
            errors["afterSeq"] = ["afterSeq must be 0 or more."];
        }

        if (limit is < 1 or > 5000)
        {
            errors["limit"] = ["limit must be between 1 and 5000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await store.GetOutputAsync(id, afterSeq ?? 0, limit ?? 500, cancellationToken) is { } output
            ? TypedResults.Ok(output)
            : TypedResults.Problem($"No job {id}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
    }
}
