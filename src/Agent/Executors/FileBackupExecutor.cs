using System.Globalization;
using System.Security.Cryptography;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>file.backup</c> (seed 002's rule "NE JAMAIS TOUCHER SANS BACKUP":
/// <c>cp fichier.yml fichier.yml.backup-$(date +%Y%m%d-%H%M%S)</c>): copies a regular file under
/// the write roots (<see cref="PathPolicy"/>, after resolving symlinks) to
/// <c>&lt;path&gt;.backup-YYYYMMDD-HHMMSS</c> (UTC, from the injected clock) next to it, with the
/// same permission bits, computing its SHA-256 while copying. Never overwrites: when that name
/// exists the job fails. A cancelled or failed copy removes the partial backup. Result
/// <c>{source, backup, bytes, sha256}</c> (sha256 in lower-case hex).
/// </summary>
internal sealed class FileBackupExecutor(PathPolicy paths, TimeProvider timeProvider) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.FileBackup.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (FileBackupParameters)job.Parameters;
        if (!paths.TryResolveWrite(parameters.Path, out var source, out var refusal))
        {
            return ExecutorResult.Failure(refusal);
        }

        if (!File.Exists(source))
        {
            return ExecutorResult.Failure(Directory.Exists(source) ? $"'{parameters.Path}' is a directory, not a file" : $"'{parameters.Path}' does not exist");
        }

        var stamp = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var backup = $"{source}.backup-{stamp}";
        if (File.Exists(backup) || Directory.Exists(backup))
        {
            return ExecutorResult.Failure($"backup '{backup}' already exists; it is never overwritten");
        }

        var mode = File.GetUnixFileMode(source);
        long bytes = 0;
        var created = false;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: true);
            await using var output = new FileStream(backup, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = mode,
                Options = FileOptions.Asynchronous,
            });
            created = true;
            var buffer = new byte[81_920];
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                bytes += read;
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            if (created)
            {
                TryDelete(backup);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            if (!created && File.Exists(backup))
            {
                return ExecutorResult.Failure($"backup '{backup}' already exists; it is never overwritten");
            }

            return ExecutorResult.Failure($"cannot back up '{parameters.Path}': {ex.Message}");
        }

        File.SetUnixFileMode(backup, mode); // the umask may have narrowed the create mode
        var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        job.Output.Stdout($"copied {source} to {backup} ({bytes} bytes, sha256 {sha256})");
        return ExecutorResult.Success(new BackupResult(source, backup, bytes, sha256));
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

    internal sealed record BackupResult(string Source, string Backup, long Bytes, string Sha256);
}
