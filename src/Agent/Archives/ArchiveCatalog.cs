using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ops.Agent.Json;

namespace Ops.Agent.Archives;

/// <summary>
/// The archive folder's conventions (<c>Policy:Archives:Directory</c>), the same as the backup
/// folder's (src/Agent/Postgres/BackupCatalog.cs): file names <c>&lt;name&gt;_&lt;yyyyMMdd_HHmmss&gt;.tar.gz</c>
/// (UTC, when archiving started), a manifest <c>&lt;file&gt;.json</c> beside each complete archive,
/// in-progress files hidden as <c>.&lt;file&gt;.partial</c> and never listed. A name's archives
/// are matched by the exact name pattern, so <c>etc</c>'s never include <c>etc_old</c>'s.
/// </summary>
internal static partial class ArchiveCatalog
{
    private const string StampFormat = "yyyyMMdd_HHmmss";

    /// <summary>The file name of an archive named <paramref name="name"/> started at <paramref name="startedAt"/>.</summary>
    public static string FileName(string name, DateTimeOffset startedAt) =>
        name + "_" + startedAt.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture) + ".tar.gz";

    /// <summary>The manifest path of an archive path.</summary>
    public static string ManifestPath(string archivePath) => archivePath + ".json";

    /// <summary>
    /// A default archive name from a directory's last segment: characters outside
    /// <c>[A-Za-z0-9_.-]</c> become <c>-</c>; <c>root</c> for <c>/</c>.
    /// </summary>
    public static string DefaultName(string directory)
    {
        var last = Path.GetFileName(directory.TrimEnd('/'));
        var name = UnsafeNameCharacters().Replace(last, "-").TrimStart('.', '-', '_');
        return name.Length == 0 ? "root" : name[..Math.Min(name.Length, 100)];
    }

    /// <summary>The archives of <paramref name="name"/> in <paramref name="directory"/>, newest first: (file name, full path, timestamp).</summary>
    public static List<(string FileName, string FullPath, DateTimeOffset Timestamp)> List(string directory, string name)
    {
        var pattern = new Regex("^" + Regex.Escape(name) + @"_(\d{8}_\d{6})\.tar\.gz$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var entries = new List<(string, string, DateTimeOffset)>();
        if (!Directory.Exists(directory))
        {
            return entries;
        }

        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var match = pattern.Match(Path.GetFileName(path));
            if (match.Success && DateTime.TryParseExact(match.Groups[1].Value, StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var stamp))
            {
                entries.Add((Path.GetFileName(path), path, new DateTimeOffset(stamp, TimeSpan.Zero)));
            }
        }

        return [.. entries.OrderByDescending(e => e.Item3).ThenByDescending(e => e.Item1, StringComparer.Ordinal)];
    }

    /// <summary>Reads the manifest of <paramref name="archivePath"/>; null when missing or unreadable.</summary>
    public static ArchiveManifest? ReadManifest(string archivePath)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(ManifestPath(archivePath)), AgentJsonContext.Default.ArchiveManifest);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the manifest atomically (temporary file, then rename), mode 0600.</summary>
    public static async Task WriteManifestAsync(string archivePath, ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        var path = ManifestPath(archivePath);
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".partial");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var stream = new FileStream(temporary, options))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, AgentJsonContext.Default.ArchiveManifest, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Checks that <paramref name="fileName"/> is a complete, unchanged archive of
    /// <paramref name="directory"/>: the file and its manifest exist, the manifest names this file
    /// and a successful run, and the file's SHA-256 equals the recorded one.
    /// </summary>
    /// <returns>The full path and the manifest.</returns>
    /// <exception cref="ArchiveRefusedException">Any of these does not hold; the message says which.</exception>
    public static async Task<(string FullPath, ArchiveManifest Manifest)> VerifyAsync(string directory, string fileName, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            throw new ArchiveRefusedException($"archive '{fileName}' does not exist in {directory}.");
        }

        var manifest = ReadManifest(path)
            ?? throw new ArchiveRefusedException($"archive '{fileName}' has no readable manifest ({fileName}.json), so its integrity cannot be checked.");
        if (manifest.File != fileName)
        {
            throw new ArchiveRefusedException($"the manifest of '{fileName}' describes {manifest.File}, not this file.");
        }

        if (!manifest.Succeeded)
        {
            throw new ArchiveRefusedException($"the manifest of '{fileName}' records an archive that did not succeed.");
        }

        string sha256;
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }

        if (!string.Equals(sha256, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArchiveRefusedException($"archive '{fileName}' has changed since it was written: its sha256 is {sha256}, the manifest recorded {manifest.Sha256}.");
        }

        return (path, manifest);
    }

    /// <summary>
    /// Deletes the archives of <paramref name="name"/> (and their manifests) whose name's timestamp is
    /// older than <paramref name="days"/> days before <paramref name="now"/>, except
    /// <paramref name="keep"/>. Other names' files and unrelated files are never touched.
    /// </summary>
    /// <returns>The deleted archive file names.</returns>
    public static List<string> Prune(string directory, string name, int days, DateTimeOffset now, string keep)
    {
        var cutoff = now.AddDays(-days);
        var removed = new List<string>();
        foreach (var (file, fullPath, _) in List(directory, name).Where(e => e.Timestamp < cutoff && e.FileName != keep))
        {
            File.Delete(fullPath);
            File.Delete(ManifestPath(fullPath));
            removed.Add(file);
        }

        return removed;
    }

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex UnsafeNameCharacters();
}
