using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using Microsoft.Extensions.Options;
using Ops.Agent.Archives;
using Ops.Agent.Policy;
using Ops.Agent.Postgres;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>files.archive</c> (seed 003 "Sauvegarde des volumes": <c>tar czvf pgdata-$(date).tar.gz /source</c>,
/// and the monthly copies of <c>.env</c>, <c>docker-compose.yml</c>, <c>grafana.ini</c> …): a PAX tar
/// (<see cref="TarWriter"/>) through gzip (<see cref="GZipStream"/>) of a directory under the read
/// or write roots (<see cref="PathPolicy"/>, after resolving symlinks), into
/// <c>Policy:Archives:Directory</c> as <c>&lt;name&gt;_&lt;yyyyMMdd_HHmmss&gt;.tar.gz</c> (UTC, from the
/// injected clock). Written as <c>.&lt;file&gt;.partial</c> (0600), hashed while written, fsynced,
/// then renamed (never over an existing archive) and described by a manifest
/// (<see cref="ArchiveManifest"/>). Entries are relative to the directory, in ordinal order:
/// directories, regular files, symbolic links (stored as links, never followed), FIFOs and device
/// nodes as tar does; sockets are skipped and counted; the archive folder itself is never archived. A failed or
/// cancelled run removes its partial file. Then, with <c>retentionDays</c>, this name's older
/// archives are deleted. Result <c>{file, path, source, bytes, entries, skipped, sha256, removed[]}</c>.
/// </summary>
internal sealed class FilesArchiveExecutor(IOptions<PolicyOptions> policy, PathPolicy paths, TimeProvider timeProvider) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.FilesArchive.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (FilesArchiveParameters)job.Parameters;
        if (policy.Value.Archives.Directory is not { Length: > 0 } archiveRoot)
        {
            return ExecutorResult.Failure("Policy:Archives:Directory is not set: this agent keeps no archives.");
        }

        if (!paths.TryResolveRead(parameters.Path, out var source, out var refusal))
        {
            return ExecutorResult.Failure(refusal);
        }

        if (!Directory.Exists(source))
        {
            return ExecutorResult.Failure(File.Exists(source) ? $"'{parameters.Path}' is a file, not a directory (use file.backup)" : $"'{parameters.Path}' does not exist");
        }

        Directory.CreateDirectory(archiveRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var archiveDirectory = PathPolicy.Resolve(archiveRoot, out _);
        var name = parameters.Name ?? ArchiveCatalog.DefaultName(source);
        var startedAt = timeProvider.GetUtcNow();
        var fileName = ArchiveCatalog.FileName(name, startedAt);
        var finalPath = Path.Combine(archiveDirectory, fileName);
        var partial = Path.Combine(archiveDirectory, "." + fileName + ".partial");
        if (File.Exists(finalPath))
        {
            return ExecutorResult.Failure($"archive '{fileName}' already exists; it is never overwritten");
        }

        var excludes = new ExcludeGlobs(parameters.Exclude);
        long entries = 0;
        long skipped = 0;
        long bytes;
        string sha256;
        job.Output.Stdout($"archiving {source} into {finalPath}");
        try
        {
            await using (var file = new FileStream(partial, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                Options = FileOptions.Asynchronous,
            }))
            {
                await using (var hashing = new HashingStream(file))
                {
                    await using (var gzip = new GZipStream(hashing, CompressionLevel.Optimal, leaveOpen: true))
                    await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
                    {
                        var pending = new Stack<string>();
                        pending.Push(source);
                        while (pending.TryPop(out var directory))
                        {
                            var children = Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal).ToList();
                            var subdirectories = new List<string>();
                            foreach (var child in children)
                            {
                                cancellationToken.ThrowIfCancellationRequested();
                                var relative = Path.GetRelativePath(source, child).Replace('\\', '/');
                                if (excludes.Excludes(relative) || child == archiveDirectory)
                                {
                                    continue;
                                }

                                var info = new FileInfo(child);
                                var isLink = info.LinkTarget is not null;
                                var isDirectory = !isLink && info.Attributes.HasFlag(FileAttributes.Directory);
                                try
                                {
                                    await tar.WriteEntryAsync(child, isDirectory ? relative + "/" : relative, cancellationToken).ConfigureAwait(false);
                                }
                                catch (IOException ex) when (!isLink && !isDirectory && ex is not FileNotFoundException && info.Exists && info.Length == 0)
                                {
                                    // A socket (TarWriter refuses it before writing anything), like tar's "socket ignored".
                                    skipped++;
                                    job.Output.System($"skipped {relative}: {ex.Message}");
                                    continue;
                                }

                                entries++;
                                if (isDirectory)
                                {
                                    subdirectories.Add(child);
                                }
                            }

                            for (var i = subdirectories.Count - 1; i >= 0; i--)
                            {
                                pending.Push(subdirectories[i]);
                            }
                        }
                    }

                    await hashing.FlushAsync(cancellationToken).ConfigureAwait(false);
                    bytes = hashing.BytesWritten;
                    sha256 = hashing.FinishHash();
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(partial, finalPath, overwrite: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(partial);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return ExecutorResult.Failure($"cannot archive '{parameters.Path}': {ex.Message}");
        }

        var manifest = new ArchiveManifest(name, fileName, source, entries, skipped, bytes, sha256, parameters.Exclude ?? [], startedAt, timeProvider.GetUtcNow(), Succeeded: true);
        await ArchiveCatalog.WriteManifestAsync(finalPath, manifest, cancellationToken).ConfigureAwait(false);
        job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"wrote {fileName}: {entries} entries, {bytes} bytes, sha256 {sha256}{(skipped > 0 ? $", {skipped} special files skipped" : string.Empty)}"));
        var removed = parameters.RetentionDays is { } days
            ? ArchiveCatalog.Prune(archiveDirectory, name, days, timeProvider.GetUtcNow(), fileName)
            : [];
        foreach (var old in removed)
        {
            job.Output.Stdout($"removed {old} (older than {parameters.RetentionDays} days)");
        }

        return ExecutorResult.Success(new ArchiveResult(fileName, finalPath, source, bytes, entries, skipped, sha256, removed));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    internal sealed record ArchiveResult(string File, string Path, string Source, long Bytes, long Entries, long Skipped, string Sha256, IReadOnlyList<string> Removed);
}
