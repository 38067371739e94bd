using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.restore</c> (destructive, admin only): seed 000 "Restauration" (<c>gunzip -c
/// backup.sql.gz | psql</c>, and "Restaurer seulement certaines tables") and seed 003
/// "Restauration de la base de données", from a backup of <c>Postgres:BackupDirectory</c> into its
/// own database.
/// <para>
/// Refused before anything is touched when the file is not a backup of that database, has no
/// manifest, or its SHA-256 no longer matches the manifest (the error gives both digests); also
/// for data-only backups, and for a table list from a plain-gzip backup (select tables from a
/// custom-format backup). A whole restore drops and recreates every object of the backup
/// (<c>pg_restore --clean --if-exists</c>; plain backups carry their own DROP … IF EXISTS); a table
/// restore does the same for the listed tables and what is attached to them (sequences,
/// constraints, indexes, triggers, foreign keys), chosen from the backup's table of contents.
/// Either runs in one transaction: a failure leaves the database as it was.
/// </para>
/// Result: <c>{database, file, format, sha256, scope: "database"|"tables", tables, durationMs}</c>;
/// FAILED with pg_restore's / psql's exit code when the restore fails.
/// </summary>
internal sealed class PostgresRestoreExecutor(
    IConfiguration configuration, IProcessRunner processRunner, TimeProvider timeProvider, ILogger<PostgresRestoreExecutor> logger) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresRestore.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresRestoreParameters)job.Parameters;
        var output = job.Output;
        var started = timeProvider.GetTimestamp();
        var tables = parameters.Tables ?? [];
        PostgresDatabase? database = null;
        try
        {
            var loader = new PostgresPolicyLoader(configuration);
            database = loader.Database(parameters.Database);
            var directory = loader.BackupDirectory(create: false);
            var bin = PostgresTools.FindBinDirectory(loader.Policy.BinDirectory);
            var (entry, manifest) = await BackupCatalog.VerifyAsync(directory, database.Name, parameters.File, cancellationToken);
            output.Stdout($"sha256 {manifest.Sha256} matches the manifest of {entry.FileName}");
            if (manifest.DataOnly)
            {
                throw new BackupRefusedException($"'{entry.FileName}' is a data-only backup; restoring it over existing rows is not supported: restore from a full backup.");
            }

            string? useList = null;
            if (tables.Count > 0)
            {
                if (entry.Format != BackupCatalog.Custom)
                {
                    throw new BackupRefusedException($"'{entry.FileName}' is a plain-gzip backup: restoring selected tables needs a custom-format backup.");
                }

                useList = (await BackupTableOfContents.ReadAsync(processRunner, bin, entry.FullPath, output, cancellationToken)).SelectTables(tables, entry.FileName);
            }

            var scope = tables.Count > 0 ? "tables" : "database";
            output.System($"restoring {entry.FileName} into '{database.Name}' ({(tables.Count > 0 ? "tables " + string.Join(", ", tables) : "whole backup")})");
            var run = await new BackupRestorer(processRunner).RestoreAsync(
                bin, entry, database.ConnectionString, database.ServerDatabaseName, clean: true, scratch: false, useList, output, cancellationToken);
            if (run.ExitCode != 0)
            {
                var error = $"restore of {entry.FileName} into '{database.Name}' failed with exit code {run.ExitCode.ToString(CultureInfo.InvariantCulture)}; "
                    + "it ran in one transaction, so the database was left as it was (the tool's messages are in the output).";
                output.Stderr(error);
                return ExecutorResult.Failure(error, exitCode: run.ExitCode);
            }

            PostgresLog.Restored(logger, entry.FileName, database.Name, scope);
            output.Stdout($"restored {entry.FileName} into '{database.Name}'");
            return ExecutorResult.Success(new RestoreResult(
                database.Name, entry.FileName, entry.Format, manifest.Sha256, scope, tables, (long)timeProvider.GetElapsedTime(started).TotalMilliseconds));
        }
        catch (BackupRefusedException ex)
        {
            PostgresLog.RestoreRefused(logger, parameters.File, parameters.Database, ex.Message);
            var error = "restore refused: " + ex.Message;
            output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
        catch (Exception ex) when (PostgresErrors.IsReportable(ex) || ex is FileNotFoundException)
        {
            var error = PostgresErrors.Describe(ex);
            output.Stderr(error);
            return ExecutorResult.Failure(error);
        }
    }

    internal sealed record RestoreResult(string Database, string File, string Format, string Sha256, string Scope, IReadOnlyList<string> Tables, long DurationMs);
}
