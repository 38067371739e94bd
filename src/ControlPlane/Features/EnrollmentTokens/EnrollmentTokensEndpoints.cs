using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.EnrollmentTokens;

/// <summary><c>/api/v1/enrollment-tokens</c> (DESIGN.md §7, §9): admin mints tokens that agents exchange for an identity.</summary>
internal static class EnrollmentTokensEndpoints
{
    public static RouteGroupBuilder MapEnrollmentTokensEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/enrollment-tokens")
            .WithTags("Enrollment tokens")
            .RequireAuthorization(Roles.Admin)
            .WithRequestValidation();

        group.MapPost("/", CreateEnrollmentToken)
            .WithName(nameof(CreateEnrollmentToken))
            .WithSummary("Create an enrollment token (shown once, stored hashed) with labels, expiry and a use limit.")
            .Accepts<CreateEnrollmentTokenRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        return group;
    }

    public static async Task<Created<EnrollmentTokenResponse>> CreateEnrollmentToken(
        CreateEnrollmentTokenRequest request,
        HttpContext httpContext,
        NpgsqlDataSource dataSource,
        AuditWriter audit,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(httpContext);
        var now = timeProvider.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var token = SecretTokens.Generate(SecretTokens.EnrollmentPrefix);
        var labels = request.Labels ?? new Dictionary<string, string>();
        var expiresAt = now.AddMinutes(request.ExpiresInMinutes ?? 60);
        var maxUses = request.MaxUses ?? 1;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO enrollment_tokens (id, token_hash, labels, expires_at, max_uses, created_by, created_at)
            VALUES (@id, @hash, @labels::jsonb, @expiresAt, @maxUses, @createdBy, @now)
            """,
            new { id, hash = SecretTokens.Hash(token), labels = JsonSerializer.Serialize(labels), expiresAt, maxUses, createdBy = caller.Subject, now },
            transaction,
            cancellationToken: cancellationToken));
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "enrollment_token.create", "enrollment_token", id.ToString(), caller.ClientAddress, caller.TraceId,
            new { labels, expiresAt, maxUses }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        return TypedResults.Created($"/api/v1/enrollment-tokens/{id}", new EnrollmentTokenResponse(id, token, expiresAt, maxUses, labels));
    }
}
