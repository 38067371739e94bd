using System.Globalization;
using System.IO.Compression;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.backup</c>: seed 000 "Backup et Restauration" (<c>pg_dump … | gzip &gt;
/// backup_$(date +%Y%m%d_%H%M%S).sql.gz</c>, <c>--data-only</c>, <c>-t</c>, "garde seulement 7
/// jours"), seed 003 "Sauvegarde de la base de données", seed 004 §3 daily backup.
/// <para>
/// <c>pg_dump</c> runs as a child process (argv, no shell; credentials in its libpq environment),
/// its stdout streamed into <c>.&lt;file&gt;.partial</c> in <c>Postgres:BackupDirectory</c> —
/// through an in-process GZip stream for <c>plain-gzip</c> — while the SHA-256 is computed; when
/// pg_dump exits 0 the file is flushed to disk, renamed to
/// <c>&lt;database&gt;_&lt;yyyyMMdd_HHmmss&gt;.dump</c> (custom, default) or <c>.sql.gz</c>, and its
/// manifest <c>&lt;file&gt;.json</c> is written. Plain backups of the whole schema carry
/// <c>--clean --if-exists</c> so they restore over an existing database. <c>retentionDays</c> then
/// deletes this database's backups older than that (by the time in their name), and only those.
/// Progress: pg_dump's <c>--verbose</c> lines (stderr) and the bytes written every 5 s.
/// </para>
/// Result: <c>{database, file, path, format, dataOnly, tables, bytes, sha256, startedAt, finishedAt,
/// durationMs, removed: [file names deleted by retention]}</c>. FAILED (pg_dump's exit code, no
/// file left behind) when pg_dump fails, or for an unknown database / missing backup folder.
/// </summary>
internal sealed class PostgresBackupExecutor(
    IConfiguration configuration, IProcessRunner processRunner, TimeProvider timeProvider, ILogger<PostgresBackupExecutor> logger) : IOperationExecutor
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresBackup.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresBackupParameters)job.Parameters;
        var output = job.Output;
        var inv = CultureInfo.InvariantCulture;
        PostgresDatabase database;
        string directory;
        string bin;
        try
        {
            var loader = new PostgresPolicyLoader(configuration);
            database = loader.Database(parameters.Database);
            directory = loader.BackupDirectory();
            bin = PostgresTools.FindBinDirectory(loader.Policy.BinDirectory);
        }
        catch (PostgresPolicyException ex)
        {
            output.Stderr(ex.Message);
            return ExecutorResult.Failure(ex.Message);
        }

        var format = parameters.Format ?? BackupCatalog.Custom;
        var dataOnly = parameters.DataOnly ?? false;
        var tables = parameters.Tables ?? [];
        var startedAt = timeProvider.GetUtcNow();
        var started = timeProvider.GetTimestamp();
        var fileName = BackupCatalog.FileName(database.Name, startedAt, format);
        var path = Path.Combine(directory, fileName);
        var temporary = Path.Combine(directory, "." + fileName + ".partial");
        if (File.Exists(path))
        {
            var error = $"backup '{fileName}' already exists: one backup of a database per second.";
            output.Stderr(error);
            return ExecutorResult.Failure(error);
        }

        var arguments = new List<string> { "--format=" + (format == BackupCatalog.PlainGzip ? "plain" : "custom"), "--verbose", "--no-password" };
        if (dataOnly)
        {
            arguments.Add("--data-only");
        }
        else if (format == BackupCatalog.PlainGzip)
        {
            arguments.Add("--clean");
            arguments.Add("--if-exists");
        }

        arguments.AddRange(tables.Select(t => "--table=" + PostgresIdentifiers.QuoteTable(t)));
        output.System($"pg_dump of '{database.Name}' ({format}{(dataOnly ? ", data only" : string.Empty)}{(tables.Count > 0 ? ", tables " + string.Join(", ", tables) : string.Empty)}) into {path}");

        long bytes;
        string sha256;
        var completed = false;
        try
        {
            var fileOptions = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                BufferSize = 1 << 16,
                Options = FileOptions.Asynchronous,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            await using (var file = new FileStream(temporary, fileOptions))
            {
                await using var hashing = new HashingStream(file);
                ProcessResult run;
                using (var progress = timeProvider.CreateTimer(
                    _ => output.System(string.Create(inv, $"{hashing.BytesWritten / (1024.0 * 1024.0):0.0} MiB written")), null, ProgressInterval, ProgressInterval))
                {
                    if (format == BackupCatalog.PlainGzip)
                    {
                        await using var gzip = new GZipStream(hashing, CompressionLevel.Optimal, leaveOpen: true);
                        run = await RunDumpAsync(bin, arguments, database, gzip, output, cancellationToken);
                    }
                    else
                    {
                        run = await RunDumpAsync(bin, arguments, database, hashing, output, cancellationToken);
                    }
                }

                if (run.ExitCode != 0)
                {
                    var error = $"pg_dump of '{database.Name}' failed with exit code {run.ExitCode.ToString(inv)} (its messages are in the output); no backup was written.";
                    output.Stderr(error);
                    PostgresLog.BackupFailed(logger, database.Name, error);
                    return ExecutorResult.Failure(error, exitCode: run.ExitCode);
                }

                await hashing.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
                bytes = hashing.BytesWritten;
                sha256 = hashing.FinishHash();
            }

            File.Move(temporary, path);
            completed = true;
        }
        catch (FileNotFoundException ex)
        {
            output.Stderr(ex.Message);
            return ExecutorResult.Failure(ex.Message);
        }
        catch (IOException ex)
        {
            var error = $"cannot write the backup in {directory}: {ex.Message}";
            output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
        finally
        {
            if (!completed)
            {
                File.Delete(temporary);
            }
        }

        var finishedAt = timeProvider.GetUtcNow();
        await BackupCatalog.WriteManifestAsync(
            path,
            new BackupManifest(database.Name, fileName, format, dataOnly, tables, bytes, sha256, startedAt, finishedAt, Succeeded: true),
            CancellationToken.None);
        PostgresLog.BackupWritten(logger, database.Name, fileName, bytes, sha256);
        output.Stdout(string.Create(inv, $"backup {fileName}: {bytes} bytes, sha256 {sha256}"));

        var removed = new List<string>();
        if (parameters.RetentionDays is { } days)
        {
            removed = BackupCatalog.Prune(directory, database.Name, days, finishedAt, keep: fileName);
            foreach (var name in removed)
            {
                output.Stdout(string.Create(inv, $"retention: removed {name} (older than {days} days)"));
                PostgresLog.BackupRemoved(logger, name, database.Name, days);
            }
        }

        return ExecutorResult.Success(new BackupResult(
            database.Name, fileName, path, format, dataOnly, tables, bytes, sha256, startedAt, finishedAt,
            (long)timeProvider.GetElapsedTime(started).TotalMilliseconds, removed));
    }

    private Task<ProcessResult> RunDumpAsync(string bin, List<string> arguments, PostgresDatabase database, Stream target, IJobOutput output, CancellationToken cancellationToken) =>
        processRunner.RunAsync(
            new ProcessSpec(Path.Combine(bin, "pg_dump"), arguments)
            {
                Environment = LibpqEnvironment.Build(database.ConnectionString),
                StandardOutputTarget = target,
                WorkingDirectory = "/",
            },
            output,
            cancellationToken);

    internal sealed record BackupResult(
        string Database, string File, string Path, string Format, bool DataOnly, IReadOnlyList<string> Tables, long Bytes, string Sha256,
        DateTimeOffset StartedAt, DateTimeOffset FinishedAt, long DurationMs, IReadOnlyList<string> Removed);
}
