using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.Contracts.Kinds;
using Ops.Contracts.Runbooks;
using Ops.ControlPlane.Infrastructure.Audit;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Runbooks;

/// <summary>
/// Versions of runbooks (DESIGN.md §12). Saving content identical to the latest version (same
/// canonical JSON hash) keeps that version; changed content adds version N+1. Archiving hides the
/// runbook from lists and new runs; its versions and runs stay.
/// </summary>
internal sealed class RunbookStore(NpgsqlDataSource dataSource, AuditWriter audit, TimeProvider timeProvider)
{
    /// <summary>Saves <paramref name="parsed"/> as <paramref name="name"/>; returns the version and whether it is new.</summary>
    public async Task<(RunbookResponse Runbook, bool Created)> SaveAsync(string name, RunbookParseResult parsed, Caller caller, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO runbook_names (name, latest_version, created_at, updated_at) VALUES (@name, 0, @now, @now) ON CONFLICT (name) DO NOTHING",
            new { name, now }, transaction, cancellationToken: cancellationToken));
        var head = await connection.QuerySingleAsync<(int Latest, DateTime? ArchivedAt)>(new CommandDefinition(
            "SELECT latest_version, archived_at FROM runbook_names WHERE name = @name FOR UPDATE", new { name }, transaction, cancellationToken: cancellationToken));
        if (head.Latest > 0 && head.ArchivedAt is null)
        {
            var hash = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition(
                "SELECT content_hash FROM runbooks WHERE name = @name AND version = @version",
                new { name, version = head.Latest }, transaction, cancellationToken: cancellationToken));
            if (hash is not null && hash.AsSpan().SequenceEqual(parsed.ContentHash))
            {
                await transaction.CommitAsync(cancellationToken);
                return ((await GetAsync(connection, name, head.Latest, cancellationToken))!, false);
            }
        }

        var version = head.Latest + 1;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO runbooks (name, version, document, content_hash, created_by, created_at)
            VALUES (@name, @version, @document::jsonb, @hash, @by, @now);
            UPDATE runbook_names SET latest_version = @version, updated_at = @now, archived_at = NULL, archived_by = NULL WHERE name = @name;
            """,
            new { name, version, document = parsed.CanonicalJson, hash = parsed.ContentHash, by = caller.Subject, now },
            transaction, cancellationToken: cancellationToken));
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "runbook.save", "runbook", name, caller.ClientAddress, caller.TraceId, new { version }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ((await GetAsync(connection, name, version, cancellationToken))!, true);
    }

    /// <summary>A version (default the latest) of an unarchived runbook — or of an archived one when <paramref name="includeArchived"/>; <c>null</c> when unknown.</summary>
    public async Task<RunbookResponse?> GetAsync(string name, int? version, bool includeArchived, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var response = await GetAsync(connection, name, version, cancellationToken);
        return response is { ArchivedAt: not null } && !includeArchived ? null : response;
    }

    /// <summary>The latest version of every unarchived runbook, by name; keyset-paginated after <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<RunbookResponse>> ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunbookRow>(new CommandDefinition(
            $"""
            SELECT {RunbookRow.Columns}
              FROM runbook_names n JOIN runbooks r ON r.name = n.name AND r.version = n.latest_version
             WHERE n.archived_at IS NULL AND (@after::text IS NULL OR n.name > @after)
             ORDER BY n.name
             LIMIT @limit
            """,
            new { after, limit }, cancellationToken: cancellationToken));
        return rows.Select(ToResponse).ToList();
    }

    /// <summary>Archives <paramref name="name"/>; false when unknown or already archived.</summary>
    public async Task<bool> ArchiveAsync(string name, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var archived = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE runbook_names SET archived_at = @now, archived_by = @by WHERE name = @name AND archived_at IS NULL",
            new { name, now = timeProvider.GetUtcNow(), by = caller.Subject }, transaction, cancellationToken: cancellationToken));
        if (archived == 0)
        {
            return false;
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(
            caller.Subject, caller.Role, "runbook.archive", "runbook", name, caller.ClientAddress, caller.TraceId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Reads one version (default the latest) inside any connection; <c>null</c> when unknown.</summary>
    public static async Task<RunbookResponse?> GetAsync(NpgsqlConnection connection, string name, int? version, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        var row = await connection.QuerySingleOrDefaultAsync<RunbookRow>(new CommandDefinition(
            $"""
            SELECT {RunbookRow.Columns}
              FROM runbook_names n JOIN runbooks r ON r.name = n.name AND r.version = coalesce(@version, n.latest_version)
             WHERE n.name = @name
            """,
            new { name, version }, transaction, cancellationToken: cancellationToken));
        return row is null ? null : ToResponse(row);
    }

    /// <summary>The stored document of a version.</summary>
    public static RunbookDocument Document(RunbookResponse runbook) =>
        runbook.Document.Deserialize<RunbookDocument>(RunbookParser.DocumentOptions) ?? throw new InvalidOperationException("A stored runbook is empty.");

    /// <summary>Whether any step (main, rollback, finally) or gate is of a destructive kind (DESIGN.md §9, §14).</summary>
    public static bool HasDestructiveStep(RunbookDocument document) =>
        (document.Steps ?? []).Concat(document.Rollback ?? []).Concat(document.Finally ?? [])
            .SelectMany(s => new[] { s.Kind, s.HealthGate?.Kind })
            .Any(k => OperationKindCatalog.TryGet(k, out var kind) && kind.Risk == OperationRisk.Destructive);

    private static RunbookResponse ToResponse(RunbookRow row)
    {
        var element = JsonDocument.Parse(row.Document).RootElement.Clone();
        var document = element.Deserialize<RunbookDocument>(RunbookParser.DocumentOptions)!;
        return new RunbookResponse(
            row.Name, row.Version, row.LatestVersion, document.Description, element, RunParameters.Schema(document),
            document.Approval is not null || HasDestructiveStep(document),
            row.CreatedBy, DbTime.Utc(row.CreatedAt), DbTime.Utc(row.ArchivedAt));
    }

    private sealed class RunbookRow
    {
        public const string Columns = "r.name, r.version, n.latest_version, r.document::text AS document, r.created_by, r.created_at, n.archived_at";

        public string Name { get; set; } = string.Empty;
        public int Version { get; set; }
        public int LatestVersion { get; set; }
        public string Document { get; set; } = "{}";
        public string CreatedBy { get; set; } = string.Empty;
        public DateTime CreatedAt { get; set; }
        public DateTime? ArchivedAt { get; set; }
    }
}
