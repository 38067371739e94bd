using System.Text;
using System.Text.RegularExpressions;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>files.prune</c> (seed 000's <c>find /backups -name "*.sql.gz" -mtime +7 -delete</c>, seed
/// 003's log clean-up): deletes the regular files directly in a directory under the write roots
/// (<see cref="PathPolicy"/>) whose name matches <c>pattern</c> and that were last modified more
/// than <c>olderThanDays</c> × 24 h before now (injected clock). The glob is on names only:
/// <c>*</c> = any characters (a leading dot included, as with <c>find -name</c>), <c>?</c> = one
/// character, everything else literal, case-sensitive. Not recursive; directories, symbolic
/// links and special files are never touched. <c>dryRun</c> lists without deleting. FAILED when a
/// file could not be deleted (the others still are). Result <c>{directory, pattern,
/// olderThanDays, dryRun, matched, deleted, bytesFreed, files: [{name, bytes, modifiedAt}]}</c>
/// (files: the first 100 matches, oldest first).
/// </summary>
internal sealed class FilesPruneExecutor(PathPolicy paths, TimeProvider timeProvider) : IOperationExecutor
{
    /// <summary>Files listed in the result.</summary>
    public const int MaxListed = 100;

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.FilesPrune.Name;

    /// <summary>Turns a name glob (<c>*</c>, <c>?</c>) into an anchored regular expression.</summary>
    public static Regex GlobToRegex(string glob)
    {
        ArgumentNullException.ThrowIfNull(glob);
        var pattern = new StringBuilder("^");
        foreach (var c in glob)
        {
            pattern.Append(c switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    /// <inheritdoc />
    public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (FilesPruneParameters)job.Parameters;
        if (!paths.TryResolveWrite(parameters.Directory, out var directory, out var refusal))
        {
            return Task.FromResult(ExecutorResult.Failure(refusal));
        }

        if (!Directory.Exists(directory))
        {
            return Task.FromResult(ExecutorResult.Failure(File.Exists(directory) ? $"'{parameters.Directory}' is a file, not a directory" : $"'{parameters.Directory}' does not exist"));
        }

        var dryRun = parameters.DryRun == true;
        var glob = GlobToRegex(parameters.Pattern);
        var cutoff = timeProvider.GetUtcNow().UtcDateTime.AddDays(-parameters.OlderThanDays);
        var enumeration = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };
        var candidates = new DirectoryInfo(directory).EnumerateFiles("*", enumeration)
            .Where(f => f.LinkTarget is null && (f.Attributes & (FileAttributes.ReparsePoint | FileAttributes.Device)) == 0)
            .Where(f => glob.IsMatch(f.Name) && f.LastWriteTimeUtc < cutoff)
            .OrderBy(f => f.LastWriteTimeUtc)
            .ToList();

        var listed = new List<PrunedFile>();
        var failures = new List<string>();
        var deleted = 0;
        long freed = 0;
        foreach (var file in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = new PrunedFile(file.Name, file.Length, file.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            if (listed.Count < MaxListed)
            {
                listed.Add(entry);
            }

            if (dryRun)
            {
                job.Output.Stdout($"would delete {file.FullName} ({entry.Bytes} bytes, modified {entry.ModifiedAt})");
                continue;
            }

            try
            {
                file.Delete();
                deleted++;
                freed += entry.Bytes;
                job.Output.Stdout($"deleted {file.FullName} ({entry.Bytes} bytes, modified {entry.ModifiedAt})");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{file.Name}: {ex.Message}");
                job.Output.Stderr($"cannot delete {file.FullName}: {ex.Message}");
            }
        }

        var result = new PruneResult(directory, parameters.Pattern, parameters.OlderThanDays, dryRun, candidates.Count, deleted, freed, listed);
        job.Output.System($"[ops-agent] {(dryRun ? "dry run: " : string.Empty)}{candidates.Count} file(s) matched, {deleted} deleted, {freed} bytes freed");
        return Task.FromResult(failures.Count == 0
            ? ExecutorResult.Success(result)
            : ExecutorResult.Failure($"{failures.Count} file(s) could not be deleted: {string.Join("; ", failures.Take(10))}", result));
    }

    internal sealed record PrunedFile(string Name, long Bytes, string ModifiedAt);

    internal sealed record PruneResult(
        string Directory, string Pattern, int OlderThanDays, bool DryRun, int Matched, int Deleted, long BytesFreed, IReadOnlyList<PrunedFile> Files);
}
