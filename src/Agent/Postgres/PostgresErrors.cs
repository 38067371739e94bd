using Npgsql;

namespace Ops.Agent.Postgres;

/// <summary>Turns policy and database errors into a job error for people (no connection string, no password).</summary>
internal static class PostgresErrors
{
    /// <summary>True for the errors a PostgreSQL job reports as FAILED with <see cref="Describe"/>; others propagate.</summary>
    public static bool IsReportable(Exception exception) =>
        exception is PostgresPolicyException or NpgsqlException or InvalidOperationException or IOException or UnauthorizedAccessException;

    /// <summary>
    /// The message of <paramref name="exception"/>: a server error as <c>42P01: relation "x" does not exist</c>
    /// (SQLSTATE and message, as psql prints it), others as they are.
    /// </summary>
    public static string Describe(Exception exception) => exception switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}" + (pg.Detail is { Length: > 0 } d ? $" ({d})" : string.Empty),
        NpgsqlException npgsql => "cannot reach the database: " + (npgsql.InnerException?.Message ?? npgsql.Message),
        _ => exception.Message,
    };
}
