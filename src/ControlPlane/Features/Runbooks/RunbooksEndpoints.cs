using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Ops.Contracts.Runbooks;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// <c>/api/v1/runbooks</c> and <c>/api/v1/runbook-runs</c> (DESIGN.md §12): save (operator; JSON or
/// <c>application/yaml</c>), read (viewer), archive (admin); start runs (operator; admin when a
/// step is destructive), read and cancel them.
/// </summary>
internal static partial class RunbooksEndpoints
{
    /// <summary>Content types read as YAML.</summary>
    private static readonly string[] YamlTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

    public static IEndpointRouteBuilder MapRunbooksEndpoints(this IEndpointRouteBuilder routes)
    {
        var runbooks = routes.MapGroup("/api/v1/runbooks")
            .WithTags("Runbooks")
            .RequireAuthorization(Roles.Viewer)
            .WithRequestValidation();

        runbooks.MapGet("/", ListRunbooks)
            .WithName(nameof(ListRunbooks))
            .WithSummary("List runbooks (latest version of each unarchived one), by name; keyset-paginated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        runbooks.MapGet("/{name}", GetRunbook)
            .WithName(nameof(GetRunbook))
            .WithSummary("Get the latest (or ?version=N) version of a runbook with the JSON Schema of its run parameters.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        runbooks.MapPut("/{name}", SaveRunbook)
            .WithName(nameof(SaveRunbook))
            .WithSummary("Create or update a runbook (JSON, or YAML with Content-Type application/yaml): the same content returns the same version (200), changed content a new version (201).")
            .RequireAuthorization(Roles.Operator)
            .Accepts<RunbookDocument>("application/json", "application/yaml")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        runbooks.MapDelete("/{name}", ArchiveRunbook)
            .WithName(nameof(ArchiveRunbook))
            .WithSummary("Archive a runbook: hidden from lists and new runs; its versions and runs stay.")
            .RequireAuthorization(Roles.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        runbooks.MapPost("/{name}/runs", CreateRun)
            .WithName(nameof(CreateRun))
            .WithSummary("Start a run with typed parameters; an Idempotency-Key header makes retries safe.")
            .RequireAuthorization(Roles.Operator)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        var runs = routes.MapGroup("/api/v1/runbook-runs")
            .WithTags("Runbooks")
            .RequireAuthorization(Roles.Viewer)
            .WithRequestValidation();

        runs.MapGet("/", ListRuns)
            .WithName(nameof(ListRuns))
            .WithSummary("List runbook runs, newest first, filtered by runbook and status; keyset-paginated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        runs.MapGet("/{id:guid}", GetRun)
            .WithName(nameof(GetRun))
            .WithSummary("Get a run with every step: phase (main, rollback, finally), status, operation, times, error, health gates.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        runs.MapPost("/{id:guid}/cancel", CancelRun)
            .WithName(nameof(CancelRun))
            .WithSummary("Cancel a run: no further release, the current step's jobs are cancelled, then its finally steps run.")
            .RequireAuthorization(Roles.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    public static async Task<Results<Ok<Page<RunbookResponse>>, ValidationProblem>> ListRunbooks(
        int? limit, string? cursor, RunbookStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var size = PageQuery.Size(limit, 200, 50, errors);
        string? after = null;
        if (cursor is not null && !Cursor.TryDecode(cursor, out after))
        {
            errors["cursor"] = ["Invalid cursor: pass nextCursor from a previous page."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rows = await store.ListAsync(after, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, r => r.Name));
    }

    public static async Task<Results<Ok<RunbookResponse>, ValidationProblem, ProblemHttpResult>> GetRunbook(
        string name, int? version, RunbookStore store, CancellationToken cancellationToken)
    {
        if (version is < 1)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = ["version is 1 or more."] });
        }

        return await store.GetAsync(name, version, includeArchived: version is not null, cancellationToken) is { } runbook
            ? TypedResults.Ok(runbook)
            : ApiProblems.NotFound(version is null ? $"runbook '{name}'" : $"version {version} of runbook '{name}'");
    }

    public static async Task<Results<Ok<RunbookResponse>, Created<RunbookResponse>, ValidationProblem, ProblemHttpResult>> SaveRunbook(
        string name, HttpRequest request, RunbookStore store, CancellationToken cancellationToken)
    {
        if (!RunbookName().IsMatch(name))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["name"] = ["A runbook name is 1–63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."],
            });
        }

        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var yaml = mediaType is not null && YamlTypes.Contains(mediaType);
        if (!yaml && mediaType is not ("application/json" or null))
        {
            return TypedResults.Problem(
                "Send the runbook as application/json or application/yaml.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");
        }

        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A runbook document is required."] });
        }

        var parsed = RunbookParser.Parse(text, yaml);
        if (!parsed.IsValid)
        {
            return TypedResults.ValidationProblem(parsed.Errors, title: "The runbook is invalid.");
        }

        var (runbook, created) = await store.SaveAsync(name, parsed, Caller.From(request.HttpContext), cancellationToken);
        return created
            ? TypedResults.Created($"/api/v1/runbooks/{name}?version={runbook.Version}", runbook)
            : TypedResults.Ok(runbook);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> ArchiveRunbook(
        string name, HttpContext httpContext, RunbookStore store, CancellationToken cancellationToken) =>
        await store.ArchiveAsync(name, Caller.From(httpContext), cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"runbook '{name}'");

    public static async Task<Results<Accepted<RunbookRunResponse>, ValidationProblem, ProblemHttpResult>> CreateRun(
        string name,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CreateRunRequest? request,
        [FromHeader(Name = OperationsEndpoints.IdempotencyHeader)] string? idempotencyKey,
        HttpContext httpContext,
        RunbookStore runbooks,
        RunbookRunStore store,
        RunbookWakeups wakeups,
        CancellationToken cancellationToken)
    {
        request ??= new CreateRunRequest();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200))
        {
            errors[OperationsEndpoints.IdempotencyHeader] = ["The Idempotency-Key header must be 1–200 characters."];
        }

        if (request.Version is < 1)
        {
            errors["version"] = ["version is 1 or more."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var caller = Caller.From(httpContext);
        if (await runbooks.GetAsync(name, request.Version, includeArchived: false, cancellationToken) is not { } runbook)
        {
            return ApiProblems.NotFound(request.Version is null ? $"runbook '{name}'" : $"version {request.Version} of runbook '{name}'");
        }

        var (creation, run) = await store.CreateAndStartAsync(name, request, caller, idempotencyKey, cancellationToken);
        if (creation.NotFound)
        {
            return ApiProblems.NotFound($"runbook '{name}'");
        }

        if (creation.ConflictingRunId is { } conflicting)
        {
            return TypedResults.Problem(
                $"Idempotency-Key '{idempotencyKey}' was already used for run {conflicting} with a different request.",
                statusCode: StatusCodes.Status409Conflict, title: "Idempotency key reused with another request");
        }

        if (run is null)
        {
            return TypedResults.ValidationProblem(creation.Errors, title: "The run's parameters do not fit the runbook.");
        }

        if (creation.Replayed)
        {
            httpContext.Response.Headers["Idempotent-Replayed"] = "true";
        }

        wakeups.Touch(run.Id);
        return TypedResults.Accepted($"/api/v1/runbook-runs/{run.Id}", run);
    }

    public static async Task<Results<Ok<Page<RunbookRunResponse>>, ValidationProblem>> ListRuns(
        string? runbook, string? status, int? limit, string? cursor, RunbookRunStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        RunbookRunStatus? statusFilter = null;
        if (status is not null)
        {
            if (DbEnum.TryParse<RunbookRunStatus>(status, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                errors["status"] = [$"Unknown status '{status}'. Expected one of {string.Join(", ", Enum.GetValues<RunbookRunStatus>().Select(DbEnum.ToText))}."];
            }
        }

        var size = PageQuery.Size(limit, 200, 50, errors);
        var before = PageQuery.After<Guid>(cursor, errors);
        QueryText.Validate("runbook", runbook, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rows = await store.ListAsync(runbook, statusFilter, before, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, r => r.Id.ToString()));
    }

    public static async Task<Results<Ok<RunbookRunResponse>, ProblemHttpResult>> GetRun(Guid id, RunbookRunStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } run ? TypedResults.Ok(run) : ApiProblems.NotFound($"runbook run {id}");

    public static async Task<Results<Accepted<RunbookRunResponse>, ProblemHttpResult>> CancelRun(
        Guid id, HttpContext httpContext, RunbookRunStore store, RunbookWakeups wakeups, CancellationToken cancellationToken)
    {
        var outcome = await store.CancelAsync(id, Caller.From(httpContext), cancellationToken);
        if (outcome is not { } done)
        {
            return ApiProblems.NotFound($"runbook run {id}");
        }

        if (done.AlreadyFinished)
        {
            return TypedResults.Problem(
                $"Run {id} already finished ({DbEnum.ToText(done.Run.Status)}); there is nothing to cancel.",
                statusCode: StatusCodes.Status409Conflict, title: "Run already finished");
        }

        wakeups.Touch(id);
        return TypedResults.Accepted($"/api/v1/runbook-runs/{id}", done.Run);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex RunbookName();
}
