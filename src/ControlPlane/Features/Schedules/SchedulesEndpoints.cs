using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Operations;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// <c>/api/v1/schedules</c> (DESIGN.md §13): save (operator; a schedule of destructive work or of a
/// runbook that needs an approval is then approved once for its content, docs/schedules.md),
/// list and get with the next runs (viewer), pause, resume and trigger (operator), the slots
/// (viewer), delete (admin).
/// </summary>
internal static partial class SchedulesEndpoints
{
    public static RouteGroupBuilder MapSchedulesEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/schedules")
            .WithTags("Schedules")
            .RequireAuthorization(Roles.Viewer);

        group.MapPut("/{name}", PutSchedule)
            .WithName(nameof(PutSchedule))
            .WithSummary("Create or replace a schedule: a cron expression in a time zone that starts an operation or a runbook run at each slot.")
            .WithDescription("201 when created, 200 when changed or unchanged (the same content again changes nothing). Validated on save: the expression (Cronos, 5 fields or 6 with seconds first), the IANA zone, exactly one of operation or runbook, and its parameters. A schedule of a destructive kind, or of a runbook that needs an approval, is pending_approval for its content (`approval` in the response, listed by GET /api/v1/approvals): its slots run without a new approval once another person approved it, until its content changes.")
            .RequireAuthorization(Roles.Operator)
            .Accepts<PutScheduleRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/", ListSchedules)
            .WithName(nameof(ListSchedules))
            .WithSummary("List schedules in name order with their next 5 runs and last slot; keyset-paginated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{name}", GetSchedule)
            .WithName(nameof(GetSchedule))
            .WithSummary("Get a schedule with its next 5 runs (UTC and local) and its last slot.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapDelete("/{name}", DeleteSchedule)
            .WithName(nameof(DeleteSchedule))
            .WithSummary("Delete a schedule: no slot starts any more; its slots and their runs are kept.")
            .RequireAuthorization(Roles.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapPost("/{name}/pause", PauseSchedule)
            .WithName(nameof(PauseSchedule))
            .WithSummary("Pause: no slot starts until resumed (a slot waiting under buffer_one is dropped).")
            .RequireAuthorization(Roles.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapPost("/{name}/resume", ResumeSchedule)
            .WithName(nameof(ResumeSchedule))
            .WithSummary("Resume: the next slot is the first one after now (the paused time is not caught up).")
            .RequireAuthorization(Roles.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapPost("/{name}/trigger", TriggerSchedule)
            .WithName(nameof(TriggerSchedule))
            .WithSummary("Trigger a slot now, under the schedule's overlap policy (paused schedules too).")
            .RequireAuthorization(Roles.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/{name}/slots", ListScheduleSlots)
            .WithName(nameof(ListScheduleSlots))
            .WithSummary("The slots of a schedule, newest first: slotAt, firedAt, status, the operation or run it started and its outcome.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return group;
    }

    public static async Task<Results<Created<ScheduleResponse>, Ok<ScheduleResponse>, ValidationProblem, ProblemHttpResult>> PutSchedule(
        string name,
        PutScheduleRequest? request,
        HttpContext httpContext,
        FluentValidation.IValidator<PutScheduleRequest> validator,
        ScheduleStore store,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ValidateName(name, errors);
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
        }
        else
        {
            var result = await validator.ValidateAsync(request, cancellationToken);
            foreach (var group in result.Errors.GroupBy(e => ErrorKeys.ToJsonPath(e.PropertyName), StringComparer.Ordinal))
            {
                errors[group.Key] = group.Select(e => e.ErrorMessage).Distinct().ToArray();
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // An operator may save a schedule of destructive work (issue 12, DESIGN.md §14): it is then
        // pending_approval for its content, and an admin other than the editor approves it.
        var (outcome, schedule, invalid) = await store.PutAsync(name, request!, Caller.From(httpContext), cancellationToken);
        return outcome switch
        {
            ScheduleStore.PutResult.Invalid => TypedResults.ValidationProblem(invalid!.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal)),
            ScheduleStore.PutResult.Created => TypedResults.Created($"/api/v1/schedules/{Uri.EscapeDataString(name)}", schedule),
            ScheduleStore.PutResult.Conflict => TypedResults.Problem(
                $"Schedule '{name}' was created by another request at the same moment; retry.", statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
            _ => TypedResults.Ok(schedule),
        };
    }

    public static async Task<Results<Ok<Page<ScheduleResponse>>, ValidationProblem>> ListSchedules(
        int? limit, string? cursor, ScheduleStore store, CancellationToken cancellationToken)
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
        return TypedResults.Ok(PageQuery.Build(rows, size, s => s.Name));
    }

    public static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> GetSchedule(
        string name, ScheduleStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(name, cancellationToken) is { } schedule
            ? TypedResults.Ok(schedule)
            : NotFound(name);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteSchedule(
        string name, HttpContext httpContext, ScheduleStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(name, Caller.From(httpContext), cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(name);

    public static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> PauseSchedule(
        string name, HttpContext httpContext, ScheduleStore store, CancellationToken cancellationToken) =>
        await store.SetPausedAsync(name, true, Caller.From(httpContext), cancellationToken) is { } schedule
            ? TypedResults.Ok(schedule)
            : NotFound(name);

    public static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> ResumeSchedule(
        string name, HttpContext httpContext, ScheduleStore store, CancellationToken cancellationToken) =>
        await store.SetPausedAsync(name, false, Caller.From(httpContext), cancellationToken) is { } schedule
            ? TypedResults.Ok(schedule)
            : NotFound(name);

    public static async Task<Results<Accepted<ScheduleTriggerResponse>, ProblemHttpResult>> TriggerSchedule(
        string name, HttpContext httpContext, ScheduleStore store, ScheduleRunner runner, CancellationToken cancellationToken)
    {
        if (await store.GetRowAsync(name, cancellationToken) is not { } row)
        {
            return NotFound(name);
        }

        var caller = Caller.From(httpContext);
        var kind = row.Operation is null ? null : JsonSerializer.Deserialize<CreateOperationRequest>(row.Operation, OpsJson.Default)?.Kind;
        if (DestructiveKind(kind) is { } destructive && !caller.HasRole(Roles.Admin))
        {
            return TypedResults.Problem(
                $"'{destructive}' is destructive: triggering it needs the admin role.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        }

        return await runner.TriggerAsync(name, caller, cancellationToken) is { } triggered
            ? TypedResults.Accepted($"/api/v1/schedules/{Uri.EscapeDataString(name)}/slots", triggered)
            : NotFound(name);
    }

    public static async Task<Results<Ok<Page<ScheduleSlotResponse>>, ValidationProblem, ProblemHttpResult>> ListScheduleSlots(
        string name, string? status, int? limit, string? cursor, ScheduleStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ScheduleSlotStatus? statusFilter = null;
        if (status is not null)
        {
            if (DbEnum.TryParse<ScheduleSlotStatus>(status, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                errors["status"] = [$"Unknown status '{status}'. Expected one of {string.Join(", ", Enum.GetValues<ScheduleSlotStatus>().Select(DbEnum.ToText))}."];
            }
        }

        var size = PageQuery.Size(limit, 500, 50, errors);
        var before = PageQuery.After<long>(cursor, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var slots = await store.ListSlotsAsync(name, statusFilter, before, size + 1, cancellationToken);
        return slots is null
            ? NotFound(name)
            : TypedResults.Ok(PageQuery.Build(slots, size, s => s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>A schedule name: 1–100 characters, letters, digits, <c>.</c>, <c>_</c>, <c>-</c>, starting with a letter or digit.</summary>
    private static void ValidateName(string name, Dictionary<string, string[]> errors)
    {
        if (!NamePattern().IsMatch(name))
        {
            errors["name"] = ["A schedule name is 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. backup-db)."];
        }
    }

    private static string? DestructiveKind(string? kind) =>
        OperationKindCatalog.TryGet(kind, out var k) && k.Risk == OperationRisk.Destructive ? k.Name : null;

    private static ProblemHttpResult NotFound(string name) => ApiProblems.NotFound($"schedule '{name}'");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();
}
