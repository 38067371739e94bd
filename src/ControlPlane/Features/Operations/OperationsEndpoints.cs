using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Infrastructure.Telemetry;

namespace Ops.ControlPlane.Features.Operations;

/// <summary>
/// <c>/api/v1/operations</c> (DESIGN.md §7): submit (operator), list and get (viewer), cancel
/// (operator). Destructive kinds start <c>pending_approval</c> and wait for an approval (DESIGN.md §9, §14).
/// </summary>
internal static class OperationsEndpoints
{
    /// <summary>Header carrying the caller's idempotency key (at most 200 characters).</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapOperationsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/operations")
            .WithTags("Operations")
            .RequireAuthorization(Roles.Viewer)
            .WithRequestValidation();

        group.MapPost("/", CreateOperation)
            .WithName(nameof(CreateOperation))
            .WithSummary("Submit an operation: one job per targeted agent, queued at once (destructive kinds: pending_approval until approved).")
            .WithDescription("Resolves the target to agents at submit time. Send an `Idempotency-Key` header to make retries safe: the same key and body return the original operation; the same key with another body is 409.")
            .RequireAuthorization(Roles.Operator)
            .Accepts<CreateOperationRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/", ListOperations)
            .WithName(nameof(ListOperations))
            .WithSummary("List operations, newest first, filtered by status, kind or agent; keyset-paginated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{id:guid}", GetOperation)
            .WithName(nameof(GetOperation))
            .WithSummary("Get an operation with every job: status, attempt, exit code, result, error, times.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/{id:guid}/cancel", CancelOperation)
            .WithName(nameof(CancelOperation))
            .WithSummary("Cancel: queued jobs end at once, running jobs get the cancellation through their agent.")
            .RequireAuthorization(Roles.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        return group;
    }

    public static async Task<Results<Accepted<OperationResponse>, ValidationProblem, ProblemHttpResult>> CreateOperation(
        CreateOperationRequest request,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey,
        HttpContext httpContext,
        OperationStore store,
        AgentWakeupPublisher wakeups,
        CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [IdempotencyHeader] = ["The Idempotency-Key header must be 1–200 characters."] });
        }

        var kind = OperationKindCatalog.TryGet(request.Kind, out var k) ? k : throw new InvalidOperationException("validated");
        // Destructive kinds may be requested by an operator: they start pending_approval and run only
        // after an admin other than the requester approved them (DESIGN.md §14, Features/Approvals).
        var caller = Caller.From(httpContext);
        var outcome = await store.CreateAsync(request, kind, caller, idempotencyKey, cancellationToken);
        switch (outcome)
        {
            case CreateOperationOutcome.Created created:
                OpsTelemetry.OperationsSubmitted.Add(1, new KeyValuePair<string, object?>("kind", kind.Name));
                // Here at once, other replicas through one debounced NOTIFY (the insert sent none).
                wakeups.Publish(created.AgentIds);

                return TypedResults.Accepted($"/api/v1/operations/{created.Operation.Id}", created.Operation);
            case CreateOperationOutcome.Replayed replayed:
                httpContext.Response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Accepted($"/api/v1/operations/{replayed.Operation.Id}", replayed.Operation);
            case CreateOperationOutcome.KeyConflict conflict:
                return TypedResults.Problem(
                    $"Idempotency-Key '{idempotencyKey}' was already used for operation {conflict.ExistingOperationId} with a different body.",
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Idempotency key reused with another request");
            case CreateOperationOutcome.TargetInvalid invalid:
                return TypedResults.ValidationProblem(invalid.Errors, title: "The target matches no agent that can run this operation.");
            default:
                throw new InvalidOperationException($"Unexpected outcome {outcome}.");
        }
    }

    public static async Task<Results<Ok<Page<OperationResponse>>, ValidationProblem>> ListOperations(
        string? status,
        string? kind,
        Guid? agentId,
        int? limit,
        string? cursor,
        OperationStore store,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        OperationStatus? statusFilter = null;
        if (status is not null)
        {
            if (DbEnum.TryParse<OperationStatus>(status, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                errors["status"] = [$"Unknown status '{status}'. Expected one of {string.Join(", ", Enum.GetValues<OperationStatus>().Select(DbEnum.ToText))}."];
            }
        }

        var size = PageQuery.Size(limit, 200, 50, errors);
        var before = PageQuery.After<Guid>(cursor, errors);
        QueryText.Validate("kind", kind, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rows = await store.ListAsync(statusFilter, kind, agentId, before, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, o => o.Id.ToString()));
    }

    public static async Task<Results<Ok<OperationResponse>, ProblemHttpResult>> GetOperation(
        Guid id, OperationStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } operation
            ? TypedResults.Ok(operation)
            : ApiProblems.NotFound($"operation {id}");

    public static async Task<Results<Accepted<OperationResponse>, ProblemHttpResult>> CancelOperation(
        Guid id, HttpContext httpContext, OperationStore store, AgentWakeups wakeups, CancellationToken cancellationToken)
    {
        var outcome = await store.CancelAsync(id, Caller.From(httpContext), cancellationToken);
        if (outcome is not { } done)
        {
            return ApiProblems.NotFound($"operation {id}");
        }

        if (done.AlreadyFinished)
        {
            return TypedResults.Problem(
                $"Operation {id} already finished ({DbEnum.ToText(done.Operation.Status)}); there is nothing to cancel.",
                statusCode: StatusCodes.Status409Conflict,
                title: "Operation already finished");
        }

        foreach (var agentId in done.AgentsToWake)
        {
            wakeups.Notify(agentId);
        }

        return TypedResults.Accepted($"/api/v1/operations/{id}", done.Operation);
    }
}
