using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// <c>/api/v1/webhooks</c> (DESIGN.md §15), admin only: webhooks see every event of the types
/// they subscribe to, and their secrets sign on Ops' behalf.
/// </summary>
internal static class WebhooksEndpoints
{
    private static readonly string[] DeliveryStatuses = ["pending", "succeeded", "failed"];

    public static RouteGroupBuilder MapWebhooksEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/webhooks")
            .WithTags("Webhooks")
            .RequireAuthorization(Roles.Admin);

        group.MapPut("/{name}", PutWebhook)
            .WithName(nameof(PutWebhook))
            .WithSummary("Create (201, with the signing secret shown once) or update (200, the secret kept) a webhook.")
            .WithDescription("Targets on link-local addresses are refused; on loopback or private networks unless Webhooks:AllowPrivateNetworks is set. The host is resolved and every address checked.")
            .Accepts<PutWebhookRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapGet("/", ListWebhooks)
            .WithName(nameof(ListWebhooks))
            .WithSummary("List webhooks by name; keyset-paginated.")
            .ProducesValidationProblem();

        group.MapGet("/{name}", GetWebhook)
            .WithName(nameof(GetWebhook))
            .WithSummary("Get one webhook (without its secret).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{name}", DeleteWebhook)
            .WithName(nameof(DeleteWebhook))
            .WithSummary("Delete a webhook and its delivery log; pending deliveries are dropped.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/{name}/deliveries", ListDeliveries)
            .WithName(nameof(ListDeliveries))
            .WithSummary("The webhook's deliveries, newest first: status, attempts, last response code and error, next attempt.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/deliveries/{id:long}/redeliver", Redeliver)
            .WithName(nameof(Redeliver))
            .WithSummary("Send a delivery's event again, as a new delivery with the same webhook-id, after the webhook's queued ones.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{name}/test", TestWebhook)
            .WithName(nameof(TestWebhook))
            .WithSummary("Send a `test` event to this webhook (seed 002: \"Tester Alertes\").")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    public static async Task<Results<Created<WebhookResponse>, Ok<WebhookResponse>, ValidationProblem>> PutWebhook(
        string name,
        PutWebhookRequest? request,
        HttpContext httpContext,
        IValidator<PutWebhookRequest> validator,
        WebhookStore store,
        WebhookTargetGuard guard,
        CancellationToken cancellationToken)
    {
        // Every error at once: the name, the body's shape, then (when the URL is well formed) its addresses.
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

        var result = await validator.ValidateAsync(request, cancellationToken);
        foreach (var group in result.Errors.GroupBy(e => ErrorKeys.ToJsonPath(e.PropertyName), StringComparer.Ordinal))
        {
            errors[group.Key] = group.Select(e => e.ErrorMessage).Distinct().ToArray();
        }

        if (!errors.ContainsKey("url") && await guard.CheckUrlAsync(request.Url!, cancellationToken) is { Count: > 0 } urlErrors)
        {
            errors["url"] = urlErrors.ToArray();
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (webhook, created) = await store.PutAsync(name, request, Caller.From(httpContext), cancellationToken);
        return created ? TypedResults.Created($"/api/v1/webhooks/{name}", webhook) : TypedResults.Ok(webhook);
    }

    public static async Task<Results<Ok<Page<WebhookResponse>>, ValidationProblem>> ListWebhooks(
        int? limit, string? cursor, WebhookStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var size = PageQuery.Size(limit, 500, 100, errors);
        string? after = null;
        if (cursor is not null && !Cursor.TryDecode(cursor, out _))
        {
            errors["cursor"] = ["Invalid cursor: pass nextCursor from a previous page."];
        }
        else if (cursor is not null && Cursor.TryDecode(cursor, out var position))
        {
            after = position;
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rows = await store.ListAsync(after, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, w => w.Name));
    }

    public static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> GetWebhook(string name, WebhookStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(name, cancellationToken) is { } webhook ? TypedResults.Ok(webhook) : ApiProblems.NotFound($"webhook '{name}'");

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhook(
        string name, HttpContext httpContext, WebhookStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(name, Caller.From(httpContext), cancellationToken) ? TypedResults.NoContent() : ApiProblems.NotFound($"webhook '{name}'");

    public static async Task<Results<Ok<Page<WebhookDeliveryResponse>>, ValidationProblem, ProblemHttpResult>> ListDeliveries(
        string name, string? status, int? limit, string? cursor, WebhookStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (status is not null && !DeliveryStatuses.Contains(status))
        {
            errors["status"] = [$"Unknown status '{status}'. Expected one of {string.Join(", ", DeliveryStatuses)}."];
        }

        var size = PageQuery.Size(limit, 500, 50, errors);
        var before = PageQuery.After<long>(cursor, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await store.GetAsync(name, cancellationToken) is null)
        {
            return ApiProblems.NotFound($"webhook '{name}'");
        }

        var rows = await store.ListDeliveriesAsync(name, status, before, size + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, size, d => d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> Redeliver(
        string name, long id, HttpContext httpContext, WebhookStore store, CancellationToken cancellationToken) =>
        await store.RedeliverAsync(name, id, Caller.From(httpContext), cancellationToken) is { } delivery
            ? TypedResults.Accepted($"/api/v1/webhooks/{name}/deliveries", delivery)
            : ApiProblems.NotFound($"delivery {id} of webhook '{name}'");

    public static async Task<Results<Accepted<WebhookDeliveryResponse>, ProblemHttpResult>> TestWebhook(
        string name, HttpContext httpContext, WebhookStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(name, cancellationToken) is not { } webhook)
        {
            return ApiProblems.NotFound($"webhook '{name}'");
        }

        if (!webhook.Enabled)
        {
            return TypedResults.Problem(
                $"Webhook '{name}' is disabled ({webhook.DisabledReason}); save it again to enable it.",
                statusCode: StatusCodes.Status409Conflict, title: "Webhook disabled");
        }

        return await store.TestAsync(name, Caller.From(httpContext), cancellationToken) is { } delivery
            ? TypedResults.Accepted($"/api/v1/webhooks/{name}/deliveries", delivery)
            : ApiProblems.NotFound($"webhook '{name}'");
    }
}
