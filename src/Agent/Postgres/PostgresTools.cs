using System.Globalization;

namespace Ops.Agent.Postgres;

/// <summary>
/// Finds the PostgreSQL client programs (<c>pg_dump</c>, <c>pg_restore</c>, <c>psql</c>): the
/// policy's <c>Postgres:BinDirectory</c>, else the first PATH folder holding all three, else
/// <c>/usr/lib/postgresql/&lt;newest version&gt;/bin</c> (Debian/Ubuntu layout).
/// </summary>
internal static class PostgresTools
{
    private static readonly string[] Programs = ["pg_dump", "pg_restore", "psql"];

    /// <summary>The folder holding the three programs.</summary>
    /// <exception cref="PostgresPolicyException">None found; the message says what to install or configure.</exception>
    public static string FindBinDirectory(string? configured)
    {
        static bool HasAll(string dir) => Programs.All(p => File.Exists(Path.Combine(dir, p)));

        if (!string.IsNullOrEmpty(configured))
        {
            return HasAll(configured)
                ? configured
                : throw new PostgresPolicyException($"Postgres:BinDirectory '{configured}' does not hold pg_dump, pg_restore and psql.");
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasAll(dir))
            {
                return dir;
            }
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => HasAll(d.Dir))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return newest.Dir;
            }
        }

        throw new PostgresPolicyException(
            "pg_dump, pg_restore and psql were not found on PATH or under /usr/lib/postgresql/*/bin: install the PostgreSQL client " +
            "(Debian/Ubuntu: apt-get install postgresql-client) or set Postgres:BinDirectory.");
    }
}
