using System.Collections;
using System.Globalization;
using Npgsql;

namespace Ops.Agent.Postgres;

/// <summary>
/// Translates an Npgsql connection string into the libpq environment of <c>pg_dump</c>,
/// <c>pg_restore</c> and <c>psql</c> (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE,
/// PGCONNECT_TIMEOUT, PGAPPNAME), so the password never appears in argv (visible to every user in
/// <c>ps</c>). The agent's own PG* variables are not inherited: only the policy decides where the
/// tools connect.
/// </summary>
internal static class LibpqEnvironment
{
    /// <summary>
    /// The whole environment for a PostgreSQL client tool: the agent's environment without its
    /// <c>PG*</c> variables, plus the connection's.
    /// </summary>
    /// <param name="connectionString">Npgsql syntax.</param>
    /// <param name="database">Overrides the connection string's database (a scratch database).</param>
    public static Dictionary<string, string> Build(string connectionString, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (!key.StartsWith("PG", StringComparison.Ordinal))
            {
                environment[key] = (string?)entry.Value ?? string.Empty;
            }
        }

        if (!string.IsNullOrEmpty(builder.Host))
        {
            environment["PGHOST"] = builder.Host;
        }

        environment["PGPORT"] = builder.Port.ToString(CultureInfo.InvariantCulture);
        if ((database ?? builder.Database) is { Length: > 0 } name)
        {
            environment["PGDATABASE"] = name;
        }

        if (!string.IsNullOrEmpty(builder.Username))
        {
            environment["PGUSER"] = builder.Username;
        }

        if (!string.IsNullOrEmpty(builder.Password))
        {
            environment["PGPASSWORD"] = builder.Password;
        }

        environment["PGSSLMODE"] = builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        environment["PGCONNECT_TIMEOUT"] = Math.Max(2, builder.Timeout).ToString(CultureInfo.InvariantCulture);
        environment["PGAPPNAME"] = builder.ApplicationName ?? "ops-agent";
        return environment;
    }
}
