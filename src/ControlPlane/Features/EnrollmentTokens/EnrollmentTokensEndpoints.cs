using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.EnrollmentTokens;

/// <summary>
/// <c>/api/v1/enrollment-tokens</c> (DESIGN.md §7, §9): admin mints tokens that agents exchange
/// for an identity, lists them (never the secret) and revokes them (audited; a revoked token no
/// longer enrolls, and the agents it already enrolled stay enrolled).
/// </summary>
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

        group.MapGet("/", ListEnrollmentTokens)
            .WithName(nameof(ListEnrollmentTokens))
            .WithSummary("List enrollment tokens, newest first, without their secret: labels, expiry, uses, creator, revocation; keyset-paginated.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapDelete("/{id:guid}", RevokeEnrollmentToken)
            .WithName(nameof(RevokeEnrollmentToken))
            .WithSummary("Revoke an enrollment token: it enrolls no further agent. Agents it already enrolled are not revoked (revoke them one by one).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        return group;
    }

    private const string SummaryColumns = "id, labels::text AS labels, expires_at, max_uses, uses, created_by, created_at, revoked_at";

    public static async Task<Results<Ok<Page<EnrollmentTokenSummary>>, ValidationProblem>> ListEnrollmentTokens(
        int? limit, string? cursor, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var size = PageQuery.Size(limit, 500, 100, errors);
        var before = PageQuery.After<Guid>(cursor, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<TokenRow>(new CommandDefinition(
            $"""
            SELECT {SummaryColumns} FROM enrollment_tokens
             WHERE @before::uuid IS NULL OR id < @before
             ORDER BY id DESC
             LIMIT @take
            """,
            new { before, take = size + 1 }, cancellationToken: cancellationToken))).Select(ToSummary).ToList();
        return TypedResults.Ok(PageQuery.Build(rows, size, t => t.Id.ToString()));
    }

    public static async Task<Results<Ok<EnrollmentTokenSummary>, ProblemHttpResult>> RevokeEnrollmentToken(
        Guid id, HttpContext httpContext, NpgsqlDataSource dataSource, AuditWriter audit, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var caller = Caller.From(httpContext);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var revoked = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE enrollment_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL",
            new { id, now = timeProvider.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(new CommandDefinition(
            $"SELECT {SummaryColumns} FROM enrollment_tokens WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return ApiProblems.NotFound($"enrollment token {id}");
        }

        if (revoked > 0)
        {
            await audit.AppendAsync(connection, transaction, new AuditEntry(
                caller.Subject, caller.Role, "enrollment_token.revoke", "enrollment_token", id.ToString(), caller.ClientAddress, caller.TraceId,
                new { uses = row.Uses, maxUses = row.MaxUses }), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(ToSummary(row));
    }

    private static EnrollmentTokenSummary ToSummary(TokenRow row) => new(
        row.Id,
        JsonSerializer.Deserialize<Dictionary<string, string>>(row.Labels) ?? [],
        DbTime.Utc(row.ExpiresAt),
        row.MaxUses,
        row.Uses,
        row.CreatedBy,
        DbTime.Utc(row.CreatedAt),
        row.RevokedAt is { } revokedAt ? DbTime.Utc(revokedAt) : null);

    /// <summary>An <c>enrollment_tokens</c> row without its hash.</summary>
    private sealed class TokenRow
    {
        public Guid Id { get; set; }
        public string Labels { get; set; } = "{}";
        public DateTime ExpiresAt { get; set; }
        public int MaxUses { get; set; }
        public int Uses { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public DateTime CreatedAt { get; set; }
        public DateTime? RevokedAt { get; set; }
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
