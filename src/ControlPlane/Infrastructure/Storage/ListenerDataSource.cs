using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// The connection of this replica's <see cref="NotificationListener"/>: unpooled (it lives for the
/// process and carries <c>LISTEN</c> state no other user may inherit) and named
/// <see cref="ApplicationName"/> in <c>pg_stat_activity</c>, so a replica can tell whether any
/// other replica listens on the same database (<see cref="CountOtherListenersAsync"/>).
/// </summary>
internal sealed class ListenerDataSource(string connectionString) : IAsyncDisposable
{
    /// <summary>The <c>application_name</c> of every replica's LISTEN connection.</summary>
    public const string ApplicationName = "ops-listener";

    /// <summary>Unpooled connections named <see cref="ApplicationName"/>.</summary>
    public NpgsqlDataSource DataSource { get; } = new NpgsqlDataSourceBuilder(
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ApplicationName, Pooling = false }.ConnectionString).Build();

    /// <summary>LISTEN connections of the other replicas on this database (all but the backend <paramref name="ownPid"/>).</summary>
    public static async Task<long> CountOtherListenersAsync(NpgsqlConnection connection, int ownPid, CancellationToken cancellationToken)
    {
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> $2", connection);
        count.Parameters.AddWithValue(ApplicationName);
        count.Parameters.AddWithValue(ownPid);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
