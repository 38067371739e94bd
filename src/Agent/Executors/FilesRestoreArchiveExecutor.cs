using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using Microsoft.Extensions.Options;
using Ops.Agent.Archives;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>files.restore-archive</c> (seed 003 "Restauration d'un volume"; destructive, so it runs only
/// after an approval, DESIGN.md §14): extracts an archive of <c>Policy:Archives:Directory</c> into a
/// new or empty directory under the write roots. In order, each refusal failing the job before
/// anything is written:
/// <list type="number">
/// <item>the archive's SHA-256 must equal its manifest's (<see cref="ArchiveCatalog.VerifyAsync"/>: a tampered archive is refused);</item>
/// <item>the destination must be below a <c>Policy:Paths:Write</c> root (not the root itself) and new or an empty directory;</item>
/// <item>a first pass over the whole archive refuses it when any entry is absolute, has a <c>..</c>
/// component, is a hard link to anything but an earlier file, or is a symbolic link whose target is
/// absolute or climbs out of the destination (tar-slip, CVE-2001-1267 and its descendants).</item>
/// </list>
/// The second pass extracts into a hidden sibling <c>.&lt;name&gt;.restore-&lt;random&gt;</c> (0700):
/// files are created exclusively (never through an existing link) with their mode (without
/// set-id bits) and modification time, every entry's parent is resolved physically and must lie in
/// the sibling, every created link is resolved physically and must too, hard links become copies,
/// FIFOs and device nodes are skipped. Then the sibling is renamed onto the destination; on any
/// failure it is deleted. Ownership is not restored (files belong to the agent's user).
/// Result <c>{file, path, entries, files, bytes, skipped, sha256}</c>.
/// </summary>
internal sealed class FilesRestoreArchiveExecutor(IOptions<PolicyOptions> policy, PathPolicy paths) : IOperationExecutor
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // rwxrwxrwx, without setuid/setgid/sticky

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.FilesRestoreArchive.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (FilesRestoreArchiveParameters)job.Parameters;
        if (policy.Value.Archives.Directory is not { Length: > 0 } archiveRoot)
        {
            return ExecutorResult.Failure("Policy:Archives:Directory is not set: this agent keeps no archives.");
        }

        string archive;
        ArchiveManifest manifest;
        try
        {
            (archive, manifest) = await ArchiveCatalog.VerifyAsync(PathPolicy.Resolve(archiveRoot, out _), parameters.File, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveRefusedException ex)
        {
            return ExecutorResult.Failure("restore refused: " + ex.Message);
        }

        if (!paths.TryResolveWrite(parameters.Path, out var destination, out var refusal))
        {
            return ExecutorResult.Failure(refusal);
        }

        // The staging sibling is created next to the destination: that folder must be writable too.
        if (!paths.TryResolveWrite(Path.GetDirectoryName(destination)!, out _, out _))
        {
            return ExecutorResult.Failure($"restore refused: '{parameters.Path}' is a write root itself; restore into a folder below it");
        }

        var destinationExists = Directory.Exists(destination);
        if (File.Exists(destination) || (destinationExists && Directory.EnumerateFileSystemEntries(destination).Any()))
        {
            return ExecutorResult.Failure($"restore refused: '{parameters.Path}' is not a new or empty directory");
        }

        try
        {
            await CheckEntriesAsync(archive, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveRefusedException ex)
        {
            return ExecutorResult.Failure($"restore refused: {parameters.File}: {ex.Message}");
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            return ExecutorResult.Failure($"restore refused: {parameters.File} is not a readable tar.gz archive: {ex.Message}");
        }

        var parent = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.restore-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        job.Output.Stdout($"restoring {parameters.File} (sha256 {manifest.Sha256} verified) into {destination}");
        Counts counts;
        try
        {
            counts = await ExtractAsync(archive, staging, job, cancellationToken).ConfigureAwait(false);
            if (destinationExists)
            {
                Directory.Delete(destination); // empty, checked above; fails if something appeared meanwhile
            }

            File.SetUnixFileMode(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            Directory.Move(staging, destination);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArchiveRefusedException or InvalidDataException or OperationCanceledException)
        {
            TryDeleteTree(staging);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return ExecutorResult.Failure(ex is ArchiveRefusedException ? $"restore refused: {parameters.File}: {ex.Message}" : $"cannot restore '{parameters.File}': {ex.Message}");
        }

        job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"restored {counts.Entries} entries ({counts.Files} files, {counts.Bytes} bytes) into {destination}{(counts.Skipped > 0 ? $", {counts.Skipped} special files skipped" : string.Empty)}"));
        return ExecutorResult.Success(new RestoreResult(parameters.File, destination, counts.Entries, counts.Files, counts.Bytes, counts.Skipped, manifest.Sha256));
    }

    /// <summary>
    /// The first pass: every entry's name and link target, lexically. Throws
    /// <see cref="ArchiveRefusedException"/> naming the first bad entry.
    /// </summary>
    private static async Task CheckEntriesAsync(string archive, CancellationToken cancellationToken)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        await using var stream = File.OpenRead(archive);
        await using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
            {
                continue;
            }

            var name = NormalizeName(entry.Name)
                ?? throw new ArchiveRefusedException($"entry '{entry.Name}' would be written outside the destination (absolute path or '..').");
            switch (entry.EntryType)
            {
                case TarEntryType.SymbolicLink:
                    var target = entry.LinkName;
                    if (target.Length == 0 || target.StartsWith('/') || Normalize(CombineLexically(ParentOf(name), target)) is null)
                    {
                        throw new ArchiveRefusedException($"symbolic link '{entry.Name}' -> '{target}' points outside the destination.");
                    }

                    break;
                case TarEntryType.HardLink:
                    if (NormalizeName(entry.LinkName) is not { } linked || !files.Contains(linked))
                    {
                        throw new ArchiveRefusedException($"hard link '{entry.Name}' -> '{entry.LinkName}' does not name an earlier file of the archive.");
                    }

                    files.Add(name);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    files.Add(name);
                    break;
                case TarEntryType.Directory or TarEntryType.Fifo or TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                    break;
                default:
                    throw new ArchiveRefusedException($"entry '{entry.Name}' has an unsupported type {entry.EntryType}.");
            }
        }
    }

    private static async Task<Counts> ExtractAsync(string archive, string root, JobContext job, CancellationToken cancellationToken)
    {
        var counts = new Counts();
        var directories = new List<(string Path, UnixFileMode Mode, DateTimeOffset Modified)>();
        await using (var stream = File.OpenRead(archive))
        await using (var gzip = new GZipStream(stream, CompressionMode.Decompress))
        await using (var reader = new TarReader(gzip))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }

                var name = NormalizeName(entry.Name)!;
                if (name.Length == 0)
                {
                    continue; // "./": the root itself
                }

                var path = Path.Combine(root, name);
                EnsureInside(root, Path.GetDirectoryName(path)!, entry.Name);
                counts.Entries++;
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        if (File.Exists(path) || (new FileInfo(path).LinkTarget is not null))
                        {
                            throw new ArchiveRefusedException($"directory entry '{entry.Name}' replaces a file or link of the archive.");
                        }

                        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                        directories.Add((path, entry.Mode & PermissionBits, entry.ModificationTime));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        counts.Bytes += await WriteFileAsync(path, entry.DataStream, entry.Mode & PermissionBits, cancellationToken).ConfigureAwait(false);
                        File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
                        counts.Files++;
                        break;
                    case TarEntryType.HardLink:
                        var source = Path.Combine(root, NormalizeName(entry.LinkName)!);
                        EnsureInside(root, source, entry.Name);
                        await using (var copy = File.OpenRead(source))
                        {
                            counts.Bytes += await WriteFileAsync(path, copy, File.GetUnixFileMode(source), cancellationToken).ConfigureAwait(false);
                        }

                        counts.Files++;
                        break;
                    case TarEntryType.SymbolicLink:
                        File.CreateSymbolicLink(path, entry.LinkName);
                        EnsureInside(root, path, entry.Name);
                        break;
                    default:
                        counts.Skipped++;
                        counts.Entries--;
                        job.Output.System($"skipped {entry.Name}: {entry.EntryType} entries are not restored");
                        break;
                }
            }
        }

        // Every link, as it resolves now that all are in place (a later link may change an earlier one's path).
        foreach (var link in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (new FileInfo(link).LinkTarget is not null)
            {
                EnsureInside(root, link, Path.GetRelativePath(root, link));
            }
        }

        foreach (var (path, mode, modified) in directories.OrderByDescending(d => d.Path.Length))
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead);
            Directory.SetLastWriteTimeUtc(path, modified.UtcDateTime);
        }

        return counts;
    }

    private static async Task<long> WriteFileAsync(string path, Stream? data, UnixFileMode mode, CancellationToken cancellationToken)
    {
        await using var output = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = mode | UnixFileMode.UserWrite,
            Options = FileOptions.Asynchronous,
        });
        if (data is not null)
        {
            await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
        }

        var written = output.Length;
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(path, mode);
        return written;
    }

    /// <summary>Fails unless <paramref name="path"/>, resolved physically (symbolic links followed), lies in <paramref name="root"/>.</summary>
    private static void EnsureInside(string root, string path, string entryName)
    {
        var resolved = PathPolicy.Resolve(path, out _);
        if (resolved != root && !resolved.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new ArchiveRefusedException($"entry '{entryName}' resolves to '{resolved}', outside the destination.");
        }
    }

    /// <summary>A relative path with <c>.</c> and <c>..</c> applied lexically; null when absolute or when it climbs out of the root.</summary>
    private static string? Normalize(string name)
    {
        if (name.StartsWith('/') || name.Contains('\0', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        var segments = new List<string>();
        foreach (var segment in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    return null;
                }

                segments.RemoveAt(segments.Count - 1);
                continue;
            }

            segments.Add(segment);
        }

        return string.Join('/', segments);
    }

    /// <summary>An entry name: like <see cref="Normalize"/>, and refused when it has any <c>..</c> segment (as GNU tar does).</summary>
    private static string? NormalizeName(string name) =>
        name.Split('/').Contains("..", StringComparer.Ordinal) ? null : Normalize(name);

    private static string ParentOf(string name) => name.Contains('/', StringComparison.Ordinal) ? name[..name.LastIndexOf('/')] : string.Empty;

    private static string CombineLexically(string directory, string target) => directory.Length == 0 ? target : directory + "/" + target;

    private static void TryDeleteTree(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                MakeWritable(path);
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort; the hidden sibling is reported by no listing.
        }
    }

    private static void MakeWritable(string root)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private sealed class Counts
    {
        public long Entries { get; set; }

        public long Files { get; set; }

        public long Bytes { get; set; }

        public long Skipped { get; set; }
    }

    internal sealed record RestoreResult(string File, string Path, long Entries, long Files, long Bytes, long Skipped, string Sha256);
}
