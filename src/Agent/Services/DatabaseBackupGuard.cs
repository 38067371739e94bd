using System.Globalization;
using Microsoft.Extensions.Configuration;
using Ops.Agent.Postgres;

namespace Ops.Agent.Services;

/// <summary>
/// Seed 002's rule "JAMAIS restart postgres en production sans backup !": a service the policy
/// marks with a <c>Database</c> may restart only when a successful full <c>postgres.backup</c> of
/// that database (not data-only, not a table subset) finished within
/// <c>Policy:Services:BackupWindowHours</c>, as recorded by the backup manifests in
/// <c>Postgres:BackupDirectory</c>.
/// </summary>
internal static class DatabaseBackupGuard
{
    /// <summary>Null when the restart may proceed (with the backup that allows it), else the refusal.</summary>
    /// <returns>(Backup file that allows the restart, refusal message); exactly one is set.</returns>
    public static (string? Backup, string? Refusal) Check(IConfiguration configuration, ServiceTarget service, int windowHours, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(service);
        var database = service.Database!;
        var inv = CultureInfo.InvariantCulture;
        var prefix = $"refusing to restart '{service.Service}': it is the database server of '{database}' (Policy:Services:Allowed:{service.Service}:Database) and "
            + $"no successful full postgres.backup of '{database}' finished in the last {windowHours.ToString(inv)} h";
        var rule = " (seed 002: never restart postgres without a backup). Run postgres.backup with database '" + database + "' first.";
        var directory = new PostgresPolicyLoader(configuration).Policy.BackupDirectory;
        if (string.IsNullOrWhiteSpace(directory))
        {
            return (null, prefix + ": Postgres:BackupDirectory is not set, so no backup can be found" + rule);
        }

        var manifests = BackupCatalog.List(directory, database)
            .Select(e => BackupCatalog.ReadManifest(e.FullPath))
            .Where(m => m is { Succeeded: true, DataOnly: false } && m.Tables.Count == 0 && m.Database == database)
            .Select(m => m!)
            .OrderByDescending(m => m.FinishedAt)
            .ToList();
        var latest = manifests.FirstOrDefault();
        if (latest is null)
        {
            return (null, $"{prefix}: there is no backup of '{database}' in {directory}{rule}");
        }

        var age = now - latest.FinishedAt;
        if (age <= TimeSpan.FromHours(windowHours))
        {
            return (latest.File, null);
        }

        return (null, string.Create(
            inv,
            $"{prefix}: the latest, {latest.File}, finished at {latest.FinishedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} ({age.TotalHours:0.#} h ago){rule}"));
    }
}
