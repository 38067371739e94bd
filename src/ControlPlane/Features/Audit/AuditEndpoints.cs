using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;

using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Audit;

/// <summary><c>/api/v1/audit</c> (admin): the append-only audit log, newest first, keyset-paginated.</summary>
internal static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/audit")
            .WithTags("Audit")
            .RequireAuthorization(Roles.Admin);

        group.MapGet("/", ListAudit)
            .WithName(nameof(ListAudit))
            .WithSummary("The audit log, newest first; filter by action (e.g. operation.create) or actor.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        return group;
    }

    public static async Task<Results<Ok<Page<AuditRecordResponse>>, ValidationProblem>> ListAudit(
        string? action, string? actor, int? limit, string? cursor, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var size = PageQuery.Size(limit, 500, 100, errors);
        var before = PageQuery.After<long>(cursor, errors);
        QueryText.Validate("action", action, errors);
        QueryText.Validate("actor", actor, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long Id, DateTime At, string Actor, string? ActorRole, string Action, string ResourceType, string? ResourceId, string? ClientAddress, string? TraceId, string Details)>(
            new CommandDefinition(
                """
                SELECT id, at, actor, actor_role, action, resource_type, resource_id, client_address, trace_id, details::text
                  FROM audit_log
                 WHERE (@before::bigint IS NULL OR id < @before)
                   AND (@action::text IS NULL OR action = @action)
                   AND (@actor::text IS NULL OR actor = @actor)
                 ORDER BY id DESC
                 LIMIT @limit
                """,
                new { before, action, actor, limit = size + 1 },
                cancellationToken: cancellationToken))).ToList();
        var records = rows
            .Select(r => new AuditRecordResponse(
                r.Id, DbTime.Utc(r.At), r.Actor, r.ActorRole, r.Action, r.ResourceType, r.ResourceId, r.ClientAddress, r.TraceId,
                DbJson.Parse(r.Details)))
            .ToList();
        return TypedResults.Ok(PageQuery.Build(records, size, r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
