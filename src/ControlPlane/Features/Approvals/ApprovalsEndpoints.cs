using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// <c>/api/v1/approvals</c> (DESIGN.md §14): list and get (viewer); approve and reject (operator
/// for mutating work, admin for destructive work, never the requester).
/// </summary>
internal static class ApprovalsEndpoints
{
    public static RouteGroupBuilder MapApprovalsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/approvals")
            .WithTags("Approvals")
            .RequireAuthorization(Roles.Viewer);

        group.MapGet("/", ListApprovals)
            .WithName(nameof(ListApprovals))
            .WithSummary("List approvals, newest first, filtered by status (e.g. pending) or guarded resource; keyset-paginated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{id:guid}", GetApproval)
            .WithName(nameof(GetApproval))
            .WithSummary("Get an approval: the request exactly as it will run, its hash, and every decision (who, when, comment).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/{id:guid}/approve", ApproveApproval)
            .WithName(nameof(ApproveApproval))
            .WithSummary("Approve: when minApprovals distinct people approved, the request proceeds exactly as hashed.")
            .WithDescription("Operator for mutating work, admin for destructive work; the requester can never decide; one person counts once. Body optional: `{\"comment\": \"…\"}` (≤ 2,000 characters).")
            .RequireAuthorization(Roles.Operator)
            .Accepts<ApprovalDecisionRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/{id:guid}/reject", RejectApproval)
            .WithName(nameof(RejectApproval))
            .WithSummary("Reject: the request ends rejected and nothing of it runs.")
            .WithDescription("Same rules as approve. Body optional: `{\"comment\": \"…\"}` (≤ 2,000 characters).")
            .RequireAuthorization(Roles.Operator)
            .Accepts<ApprovalDecisionRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    public static async Task<Results<Ok<Page<ApprovalResponse>>, ValidationProblem>> ListApprovals(
        string? status,
        string? resourceType,
        string? resourceId,
        int? limit,
        string? cursor,
        ApprovalStore store,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ApprovalStatus? statusFilter = null;
        if (status is not null)
        {
            if (DbEnum.TryParse<ApprovalStatus>(status, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                errors["status"] = [$"Unknown status '{status}'. Expected one of {string.Join(", ", Enum.GetValues<ApprovalStatus>().Select(DbEnum.ToText))}."];
            }
        }

        var size = PageQuery.Size(limit, 200, 50, errors);
        var before = PageQuery.After<Guid>(cursor, errors);
        QueryText.Validate("resourceType", resourceType, errors);
        QueryText.Validate("resourceId", resourceId, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rows = await store.ListAsync(statusFilter, resourceType, resourceId, before, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, a => a.Id.ToString()));
    }

    public static async Task<Results<Ok<ApprovalResponse>, ProblemHttpResult>> GetApproval(
        Guid id, ApprovalStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } approval
            ? TypedResults.Ok(approval)
            : ApiProblems.NotFound($"approval {id}");

    public static Task<Results<Ok<ApprovalResponse>, ValidationProblem, ProblemHttpResult>> ApproveApproval(
        Guid id,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] ApprovalDecisionRequest? request,
        HttpContext httpContext,
        ApprovalStore store,
        IValidator<ApprovalDecisionRequest> validator,
        CancellationToken cancellationToken) =>
        DecideAsync(id, ApprovalVerdict.Approve, request, httpContext, store, validator, cancellationToken);

    public static Task<Results<Ok<ApprovalResponse>, ValidationProblem, ProblemHttpResult>> RejectApproval(
        Guid id,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] ApprovalDecisionRequest? request,
        HttpContext httpContext,
        ApprovalStore store,
        IValidator<ApprovalDecisionRequest> validator,
        CancellationToken cancellationToken) =>
        DecideAsync(id, ApprovalVerdict.Reject, request, httpContext, store, validator, cancellationToken);

    private static async Task<Results<Ok<ApprovalResponse>, ValidationProblem, ProblemHttpResult>> DecideAsync(
        Guid id,
        ApprovalVerdict verdict,
        ApprovalDecisionRequest? request,
        HttpContext httpContext,
        ApprovalStore store,
        IValidator<ApprovalDecisionRequest> validator,
        CancellationToken cancellationToken)
    {
        // The body is optional, so it is validated here rather than by the group's filter (which requires one).
        request ??= new ApprovalDecisionRequest();
        var validation = await validator.ValidateAsync(request, cancellationToken);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors
                .GroupBy(e => ErrorKeys.ToJsonPath(e.PropertyName), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray(), StringComparer.Ordinal));
        }

        var comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment;
        return await store.DecideAsync(id, verdict, comment, Caller.From(httpContext), cancellationToken) switch
        {
            DecideOutcome.Decided decided => TypedResults.Ok(decided.Approval),
            DecideOutcome.NotFound => ApiProblems.NotFound($"approval {id}"),
            DecideOutcome.Forbidden forbidden => TypedResults.Problem(forbidden.Detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"),
            DecideOutcome.Conflict conflict => TypedResults.Problem(conflict.Detail, statusCode: StatusCodes.Status409Conflict, title: conflict.Title),
            var other => throw new InvalidOperationException($"Unexpected outcome {other}."),
        };
    }
}
