using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ops.Agent.Json;

namespace Ops.Agent.Postgres;

/// <summary>
/// The backup folder's conventions (seed 000 "Backup automatique": <c>$BACKUP_DIR/db_$DATE.sql.gz</c>,
/// 7 days kept): file names <c>&lt;database&gt;_&lt;yyyyMMdd_HHmmss&gt;.dump</c> (custom) or
/// <c>.sql.gz</c> (plain-gzip), UTC; a manifest <c>&lt;file&gt;.json</c> beside each complete backup;
/// in-progress files are hidden (<c>.&lt;file&gt;.partial</c>) and never listed. A database's backups
/// are matched by the exact name pattern, so <c>demo</c>'s never include <c>demo_archive</c>'s.
/// </summary>
internal static class BackupCatalog
{
    /// <summary>The format of custom-format backups (<c>pg_dump -Fc</c>).</summary>
    public const string Custom = "custom";

    /// <summary>The format of gzipped plain SQL backups (<c>pg_dump | gzip</c>).</summary>
    public const string PlainGzip = "plain-gzip";

    private const string StampFormat = "yyyyMMdd_HHmmss";

    /// <summary>The file name of a backup of <paramref name="database"/> started at <paramref name="startedAt"/>.</summary>
    public static string FileName(string database, DateTimeOffset startedAt, string format) =>
        database + "_" + startedAt.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture) + (format == PlainGzip ? ".sql.gz" : ".dump");

    /// <summary>The manifest path of a backup file path.</summary>
    public static string ManifestPath(string backupPath) => backupPath + ".json";

    /// <summary>The backups of <paramref name="database"/> in <paramref name="directory"/>, newest first.</summary>
    public static List<BackupEntry> List(string directory, string database)
    {
        var pattern = new Regex("^" + Regex.Escape(database) + @"_(\d{8}_\d{6})\.(dump|sql\.gz)$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var entries = new List<BackupEntry>();
        if (!Directory.Exists(directory))
        {
            return entries;
        }

        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            var match = pattern.Match(name);
            if (match.Success && DateTime.TryParseExact(match.Groups[1].Value, StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var stamp))
            {
                entries.Add(new BackupEntry(name, path, new DateTimeOffset(stamp, TimeSpan.Zero), match.Groups[2].Value == "dump" ? Custom : PlainGzip));
            }
        }

        return [.. entries.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.FileName, StringComparer.Ordinal)];
    }

    /// <summary>Reads the manifest of <paramref name="backupPath"/>; null when missing or unreadable.</summary>
    public static BackupManifest? ReadManifest(string backupPath)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(ManifestPath(backupPath)), AgentJsonContext.Default.BackupManifest);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the manifest atomically (temporary file, then rename), mode 0600.</summary>
    public static async Task WriteManifestAsync(string backupPath, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var path = ManifestPath(backupPath);
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".partial");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var stream = new FileStream(temporary, options))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, AgentJsonContext.Default.BackupManifest, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    /// <summary>
    /// Checks that <paramref name="fileName"/> is a complete, unchanged backup of
    /// <paramref name="database"/>: the name follows the pattern, the file and its manifest exist,
    /// the manifest names this database and a successful run, and the file's SHA-256 equals the
    /// recorded one.
    /// </summary>
    /// <returns>The manifest and the file's entry.</returns>
    /// <exception cref="BackupRefusedException">Any of these does not hold; the message says which.</exception>
    public static async Task<(BackupEntry Entry, BackupManifest Manifest)> VerifyAsync(string directory, string database, string fileName, CancellationToken cancellationToken)
    {
        var entry = List(directory, database).FirstOrDefault(e => e.FileName == fileName)
            ?? throw new BackupRefusedException(File.Exists(Path.Combine(directory, fileName))
                ? $"'{fileName}' is not a backup of database '{database}' (expected {database}_yyyyMMdd_HHmmss.dump or .sql.gz)."
                : $"backup '{fileName}' does not exist in {directory}.");
        var manifest = ReadManifest(entry.FullPath)
            ?? throw new BackupRefusedException($"backup '{fileName}' has no readable manifest ({fileName}.json), so its integrity cannot be checked.");
        if (manifest.Database != database || manifest.File != fileName)
        {
            throw new BackupRefusedException($"the manifest of '{fileName}' describes {manifest.File} of database '{manifest.Database}', not this file.");
        }

        if (!manifest.Succeeded)
        {
            throw new BackupRefusedException($"the manifest of '{fileName}' records a backup that did not succeed.");
        }

        var sha256 = await Sha256Async(entry.FullPath, cancellationToken);
        if (!string.Equals(sha256, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new BackupRefusedException(
                $"backup '{fileName}' has changed since it was written: its sha256 is {sha256}, the manifest recorded {manifest.Sha256}.");
        }

        return (entry, manifest);
    }

    /// <summary>
    /// Deletes the backups of <paramref name="database"/> (and their manifests) whose name's
    /// timestamp is older than <paramref name="days"/> days before <paramref name="now"/>, except
    /// <paramref name="keep"/>. Other databases' files and unrelated files are never touched.
    /// </summary>
    /// <returns>The deleted backup file names.</returns>
    public static List<string> Prune(string directory, string database, int days, DateTimeOffset now, string keep)
    {
        var cutoff = now.AddDays(-days);
        var removed = new List<string>();
        foreach (var entry in List(directory, database).Where(e => e.Timestamp < cutoff && e.FileName != keep))
        {
            File.Delete(entry.FullPath);
            File.Delete(ManifestPath(entry.FullPath));
            removed.Add(entry.FileName);
        }

        return removed;
    }
}
