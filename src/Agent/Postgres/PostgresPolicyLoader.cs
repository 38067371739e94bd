using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Postgres;

/// <summary>
/// Reads the <c>Postgres</c> policy section at each use (so an edited policy applies to the next
/// job) and validates the parts a job needs, failing with a <see cref="PostgresPolicyException"/>
/// that names the key: <c>database 'x' is not in this agent's policy (Postgres:Databases)</c>,
/// <c>Postgres:BackupDirectory is not set</c>, <c>Postgres:Databases:demo:Checks:c: MinRows …</c>.
/// </summary>
internal sealed partial class PostgresPolicyLoader(IConfiguration configuration)
{
    /// <summary>The bound section (not validated).</summary>
    public PostgresPolicy Policy { get; } = configuration.GetSection(PostgresPolicy.SectionName).Get<PostgresPolicy>() ?? new PostgresPolicy();

    /// <summary>The database named <paramref name="name"/>, with its connection string and lists validated.</summary>
    /// <exception cref="PostgresPolicyException">Unknown name, missing or invalid connection string, invalid table names.</exception>
    public PostgresDatabase Database(string name)
    {
        if (!Policy.Databases.TryGetValue(name, out var database))
        {
            var known = Policy.Databases.Count == 0 ? "none configured" : "known: " + string.Join(", ", Policy.Databases.Keys.Order(StringComparer.Ordinal));
            throw new PostgresPolicyException($"database '{name}' is not in this agent's policy (Postgres:Databases; {known}).");
        }

        var key = $"Postgres:Databases:{name}";
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            throw new PostgresPolicyException($"{key}:ConnectionString is not set.");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            // The builder's message names the bad keyword, never a value: no password leaks.
            throw new PostgresPolicyException($"{key}:ConnectionString is not a valid Npgsql connection string: {ex.Message}");
        }

        for (var i = 0; i < database.VerifyTables.Count; i++)
        {
            if (!TableRegex().IsMatch(database.VerifyTables[i]))
            {
                throw new PostgresPolicyException($"{key}:VerifyTables:{i.ToString(CultureInfo.InvariantCulture)} '{database.VerifyTables[i]}' is not a table name (schema.table).");
            }
        }

        return new PostgresDatabase(name, database.ConnectionString, database);
    }

    /// <summary>The check <paramref name="check"/> of <paramref name="database"/>, validated.</summary>
    /// <exception cref="PostgresPolicyException">Unknown check, no SQL, no expectation, inverted bounds, bad timeout.</exception>
    public PostgresCheckPolicy Check(PostgresDatabase database, string check)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (!database.Policy.Checks.TryGetValue(check, out var policy))
        {
            throw new PostgresPolicyException($"check '{check}' is not in this agent's policy (Postgres:Databases:{database.Name}:Checks; {Known(database.Policy.Checks.Keys)}).");
        }

        var key = $"Postgres:Databases:{database.Name}:Checks:{check}";
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(policy.Sql))
        {
            errors.Add($"{key}:Sql is not set");
        }

        if (policy is { MinRows: null, MaxRows: null, MinValue: null, MaxValue: null })
        {
            errors.Add($"{key} needs at least one expectation: MinRows, MaxRows, MinValue or MaxValue");
        }

        if (policy.MinRows > policy.MaxRows || policy.MinValue > policy.MaxValue || policy.MinRows < 0 || policy.MaxRows < 0)
        {
            errors.Add($"{key}: the minimum is above the maximum, or a row count is negative");
        }

        if (policy.TimeoutSeconds is < 1 or > 3600)
        {
            errors.Add($"{key}:TimeoutSeconds must be 1–3600 (got {policy.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)})");
        }

        return errors.Count == 0 ? policy : throw new PostgresPolicyException(string.Join("; ", errors) + ".");
    }

    /// <summary>The purge rule <paramref name="rule"/> of <paramref name="database"/>, validated.</summary>
    /// <exception cref="PostgresPolicyException">Unknown rule, bad table or column name, days/batch/cap out of range.</exception>
    public PostgresPurgeRulePolicy PurgeRule(PostgresDatabase database, string rule)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (!database.Policy.PurgeRules.TryGetValue(rule, out var policy))
        {
            throw new PostgresPolicyException($"purge rule '{rule}' is not in this agent's policy (Postgres:Databases:{database.Name}:PurgeRules; {Known(database.Policy.PurgeRules.Keys)}).");
        }

        var key = $"Postgres:Databases:{database.Name}:PurgeRules:{rule}";
        var errors = new List<string>();
        if (policy.Table is null || !TableRegex().IsMatch(policy.Table))
        {
            errors.Add($"{key}:Table '{policy.Table}' is not a table name (schema.table)");
        }

        if (policy.TimestampColumn is null || !ColumnRegex().IsMatch(policy.TimestampColumn))
        {
            errors.Add($"{key}:TimestampColumn '{policy.TimestampColumn}' is not a column name");
        }

        if (policy.Days is < 1 or > 36_500)
        {
            errors.Add($"{key}:Days must be 1–36500 (got {policy.Days.ToString(CultureInfo.InvariantCulture)})");
        }

        if (policy.BatchSize is < 1 or > 100_000)
        {
            errors.Add($"{key}:BatchSize must be 1–100000 (got {policy.BatchSize.ToString(CultureInfo.InvariantCulture)})");
        }

        if (policy.MaxRowsPerRun < 1)
        {
            errors.Add($"{key}:MaxRowsPerRun must be at least 1");
        }

        return errors.Count == 0 ? policy : throw new PostgresPolicyException(string.Join("; ", errors) + ".");
    }

    /// <summary>The backup folder: absolute, created with mode 0700 when missing.</summary>
    /// <exception cref="PostgresPolicyException">Not set, relative, or cannot be created.</exception>
    public string BackupDirectory(bool create = true)
    {
        var directory = Policy.BackupDirectory;
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new PostgresPolicyException("Postgres:BackupDirectory is not set: backups need a folder in the agent's policy.");
        }

        if (!Path.IsPathFullyQualified(directory))
        {
            throw new PostgresPolicyException($"Postgres:BackupDirectory '{directory}' must be an absolute path.");
        }

        if (create && !Directory.Exists(directory))
        {
            try
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new PostgresPolicyException($"Postgres:BackupDirectory '{directory}' cannot be created: {ex.Message}");
            }
        }

        return directory;
    }

    private static string Known(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "none configured" : "known: " + string.Join(", ", list);
    }

    [GeneratedRegex(ParameterRules.TablePattern)]
    private static partial Regex TableRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex ColumnRegex();
}
