using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Ops.ControlPlane.Features.Webhooks;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Alerts;

/// <summary><c>/api/v1/alert-rules</c> (operator to change, viewer to read) and <c>/api/v1/alerts</c> (viewer), DESIGN.md §15.</summary>
internal static class AlertsEndpoints
{
    private static readonly string[] States = ["pending", "firing", "resolved"];

    public static IEndpointRouteBuilder MapAlertsEndpoints(this IEndpointRouteBuilder routes)
    {
        var rules = routes.MapGroup("/api/v1/alert-rules").WithTags("Alerts").RequireAuthorization(Roles.Viewer);
        rules.MapPut("/{name}", PutAlertRule)
            .WithName(nameof(PutAlertRule))
            .WithSummary("Create (201) or replace (200) an alert rule: a host rule on heartbeat samples, or a schedule rule on consecutive failed slots.")
            .RequireAuthorization(Roles.Operator)
            .Accepts<PutAlertRuleRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        rules.MapGet("/", ListAlertRules).WithName(nameof(ListAlertRules)).WithSummary("List alert rules by name; keyset-paginated.").ProducesValidationProblem();
        rules.MapGet("/{name}", GetAlertRule).WithName(nameof(GetAlertRule)).WithSummary("Get one alert rule.").ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapDelete("/{name}", DeleteAlertRule)
            .WithName(nameof(DeleteAlertRule))
            .WithSummary("Delete an alert rule; its firing alerts resolve.")
            .RequireAuthorization(Roles.Operator)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var alerts = routes.MapGroup("/api/v1/alerts").WithTags("Alerts").RequireAuthorization(Roles.Viewer);
        alerts.MapGet("/", ListAlerts)
            .WithName(nameof(ListAlerts))
            .WithSummary("List alerts, newest first, filtered by state (pending, firing, resolved) or rule; keyset-paginated.")
            .ProducesValidationProblem();
        alerts.MapGet("/{id:guid}", GetAlert).WithName(nameof(GetAlert)).WithSummary("Get one alert.").ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    public static async Task<Results<Created<AlertRuleResponse>, Ok<AlertRuleResponse>, ValidationProblem>> PutAlertRule(
        string name, PutAlertRuleRequest? request, HttpContext httpContext, IValidator<PutAlertRuleRequest> validator, AlertRuleStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!WebhookNames.IsValid(name))
        {
            errors["name"] = [WebhookNames.Rule];
        }

        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return TypedResults.ValidationProblem(errors);
        }

        foreach (var group in (await validator.ValidateAsync(request, cancellationToken)).Errors.GroupBy(e => ErrorKeys.ToJsonPath(e.PropertyName), StringComparer.Ordinal))
        {
            errors[group.Key] = group.Select(e => e.ErrorMessage).Distinct().ToArray();
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (rule, created) = await store.PutAsync(name, request, Caller.From(httpContext), cancellationToken);
        return created ? TypedResults.Created($"/api/v1/alert-rules/{name}", rule) : TypedResults.Ok(rule);
    }

    public static async Task<Results<Ok<Page<AlertRuleResponse>>, ValidationProblem>> ListAlertRules(
        int? limit, string? cursor, AlertRuleStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var size = PageQuery.Size(limit, 500, 100, errors);
        string? after = null;
        if (cursor is not null)
        {
            if (Cursor.TryDecode(cursor, out var position))
            {
                after = position;
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

        return TypedResults.Ok(PageQuery.Build(await store.ListAsync(after, size + 1, cancellationToken), size, r => r.Name));
    }

    public static async Task<Results<Ok<AlertRuleResponse>, ProblemHttpResult>> GetAlertRule(string name, AlertRuleStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(name, cancellationToken) is { } rule ? TypedResults.Ok(rule) : ApiProblems.NotFound($"alert rule '{name}'");

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAlertRule(string name, HttpContext httpContext, AlertRuleStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(name, Caller.From(httpContext), cancellationToken) ? TypedResults.NoContent() : ApiProblems.NotFound($"alert rule '{name}'");

    public static async Task<Results<Ok<Page<AlertResponse>>, ValidationProblem>> ListAlerts(
        string? state, string? rule, int? limit, string? cursor, AlertRuleStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (state is not null && !States.Contains(state))
        {
            errors["state"] = [$"Unknown state '{state}'. Expected one of {string.Join(", ", States)}."];
        }

        QueryText.Validate("rule", rule, errors);
        var size = PageQuery.Size(limit, 500, 100, errors);
        var before = PageQuery.After<Guid>(cursor, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(PageQuery.Build(await store.ListAlertsAsync(state, rule, before, size + 1, cancellationToken), size, a => a.Id.ToString()));
    }

    public static async Task<Results<Ok<AlertResponse>, ProblemHttpResult>> GetAlert(Guid id, AlertRuleStore store, CancellationToken cancellationToken) =>
        await store.GetAlertAsync(id, cancellationToken) is { } alert ? TypedResults.Ok(alert) : ApiProblems.NotFound($"alert {id}");
}
