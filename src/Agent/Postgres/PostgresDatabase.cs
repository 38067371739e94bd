using Npgsql;

namespace Ops.Agent.Postgres;

/// <summary>A database of the policy, resolved and validated: its policy name, connection string and settings.</summary>
/// <param name="Name">The policy name (<c>demo</c>), used in file names and messages.</param>
/// <param name="ConnectionString">The Npgsql connection string (holds credentials: never print it).</param>
/// <param name="Policy">The database's policy entry.</param>
internal sealed record PostgresDatabase(string Name, string ConnectionString, PostgresDatabasePolicy Policy)
{
    /// <summary>
    /// Opens a connection (application name <c>ops-agent</c> unless the policy sets one), to the
    /// policy database or, with <paramref name="database"/>, to another database of the same server.
    /// </summary>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the login.</exception>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        builder.ApplicationName ??= "ops-agent";
        if (database is not null)
        {
            // Another database of the same server (a scratch copy): not pooled, it is dropped soon.
            builder.Database = database;
            builder.Pooling = false;
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server-side database name (the connection string's <c>Database</c>, else the user name).</summary>
    public string ServerDatabaseName
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            return builder.Database ?? builder.Username ?? Environment.UserName;
        }
    }
}
