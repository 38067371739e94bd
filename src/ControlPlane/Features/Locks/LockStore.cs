using Dapper;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Locks;

/// <summary>
/// Reads the lock tables of migration 0010. Locks are taken and released only by the SQL
/// functions <c>lock_try_acquire</c> / <c>lock_release</c>, called in the transactions of the state
/// changes that imply them (creation, a terminal state), so a crash never leaves a lock held by a
/// finished holder; the primary key on the lock name forbids two holders.
/// </summary>
internal sealed class LockStore(NpgsqlDataSource dataSource)
{
    /// <summary>Every held or awaited lock, by name, with its holder and FIFO queue.</summary>
    public async Task<IReadOnlyList<LockResponse>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var holders = (await connection.QueryAsync<(string Name, string Type, Guid Id, DateTime At)>(new CommandDefinition(
            "SELECT name, holder_type, holder_id, acquired_at FROM lock_holders ORDER BY name", cancellationToken: cancellationToken)))
            .ToDictionary(h => h.Name, StringComparer.Ordinal);
        var waiters = (await connection.QueryAsync<(string Name, string Type, Guid Id, DateTime RequestedAt, DateTime WaitUntil)>(new CommandDefinition(
            "SELECT name, holder_type, holder_id, requested_at, wait_until FROM lock_waiters ORDER BY name, requested_at, holder_id",
            cancellationToken: cancellationToken))).ToLookup(w => w.Name, StringComparer.Ordinal);
        return holders.Keys.Union(waiters.Select(w => w.Key), StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(name => new LockResponse(
                name,
                holders.TryGetValue(name, out var h) ? new LockHolderResponse(h.Type, h.Id, DbTime.Utc(h.At)) : null,
                waiters[name].Select(w => new LockWaiterResponse(w.Type, w.Id, DbTime.Utc(w.RequestedAt), DbTime.Utc(w.WaitUntil))).ToList()))
            .ToList();
    }

    /// <summary>What <paramref name="holderId"/> waits on, or <c>null</c> when it waits for no lock.</summary>
    public static async Task<WaitingOn?> WaitingOnAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string holderType, Guid holderId, CancellationToken cancellationToken)
    {
        var row = await connection.QueryFirstOrDefaultAsync<WaitingRow>(new CommandDefinition(
            """
            SELECT w.name, w.wait_until,
                   h.holder_type AS held_by_type, h.holder_id AS held_by,
                   e.holder_type AS ahead_type, e.holder_id AS ahead_id
              FROM lock_waiters w
              LEFT JOIN lock_holders h ON h.name = w.name
              LEFT JOIN LATERAL (SELECT x.holder_type, x.holder_id FROM lock_waiters x
                                  WHERE x.name = w.name AND (x.requested_at, x.holder_id) < (w.requested_at, w.holder_id)
                                  ORDER BY x.requested_at, x.holder_id LIMIT 1) e ON true
             WHERE w.holder_type = @holderType AND w.holder_id = @holderId
             ORDER BY h.name IS NULL, w.name
             LIMIT 1
            """,
            new { holderType, holderId }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        return row.HeldBy is { } heldBy
            ? new WaitingOn(row.Name, heldBy.ToString(), row.HeldByType, false, DbTime.Utc(row.WaitUntil))
            : new WaitingOn(row.Name, row.AheadId?.ToString(), row.AheadType, true, DbTime.Utc(row.WaitUntil));
    }

    private sealed class WaitingRow
    {
        public string Name { get; set; } = string.Empty;
        public DateTime WaitUntil { get; set; }
        public string? HeldByType { get; set; }
        public Guid? HeldBy { get; set; }
        public string? AheadType { get; set; }
        public Guid? AheadId { get; set; }
    }
}
