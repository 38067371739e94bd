using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Postgres;

/// <summary>
/// <c>postgres.verify-backup</c>: seed 004 §3.2 "Test restauration backup" (weekly). Takes the
/// named backup, or the latest of the database, checks its SHA-256 against its manifest, creates
/// a scratch database <c>ops_verify_&lt;db&gt;_&lt;yyyyMMddHHmmss&gt;</c> on the same server,
/// restores the backup into it (one transaction, no owners or privileges), then counts:
/// the tables restored (custom format: must equal the tables in the backup's table of contents;
/// plain: at least one) and the rows of each <c>VerifyTables</c> table of the policy (must exist),
/// beside the live database's current counts; finally drops the scratch database (also when
/// anything failed or the job is cancelled).
/// Result: <c>{database, file, format, sha256, scratchDatabase, tablesInBackup (null for plain),
/// tablesRestored, sourceTables, verifyTables: [{table, rows, sourceRows}], passed, failures,
/// scratchDropped, durationMs}</c>. FAILED with the reasons when the restore or a check fails,
/// or the backup is refused (changed file, no manifest, data-only).
/// </summary>
internal sealed partial class PostgresVerifyBackupExecutor(
    IConfiguration configuration, IProcessRunner processRunner, TimeProvider timeProvider, ILogger<PostgresVerifyBackupExecutor> logger) : IOperationExecutor
{
    private static readonly TimeSpan DropTimeout = TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.PostgresVerifyBackup.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (PostgresVerifyBackupParameters)job.Parameters;
        var output = job.Output;
        var inv = CultureInfo.InvariantCulture;
        var started = timeProvider.GetTimestamp();
        PostgresDatabase database;
        BackupEntry entry;
        BackupManifest manifest;
        string bin;
        try
        {
            var loader = new PostgresPolicyLoader(configuration);
            database = loader.Database(parameters.Database);
            var directory = loader.BackupDirectory(create: false);
            bin = PostgresTools.FindBinDirectory(loader.Policy.BinDirectory);
            var fileName = parameters.File
                ?? BackupCatalog.List(directory, database.Name).FirstOrDefault(e => BackupCatalog.ReadManifest(e.FullPath)?.Succeeded == true)?.FileName
                ?? throw new BackupRefusedException($"there is no complete backup of '{database.Name}' in {directory}.");
            output.System($"verifying {fileName}");
            (entry, manifest) = await BackupCatalog.VerifyAsync(directory, database.Name, fileName, cancellationToken);
            if (manifest.DataOnly)
            {
                throw new BackupRefusedException($"'{fileName}' is a data-only backup: it holds no schema to restore into an empty database.");
            }
        }
        catch (Exception ex) when (ex is PostgresPolicyException or BackupRefusedException)
        {
            output.Stderr(ex.Message);
            return ExecutorResult.Failure(ex.Message);
        }

        output.Stdout($"sha256 {manifest.Sha256} matches the manifest");
        var scratch = ScratchName(database.Name, timeProvider.GetUtcNow());
        var failures = new List<string>();
        int? tablesInBackup = null;
        long tablesRestored = 0;
        long sourceTables = 0;
        var verifyTables = new List<TableCount>();
        var dropped = false;
        var created = false;
        try
        {
            if (entry.Format == BackupCatalog.Custom)
            {
                tablesInBackup = (await BackupTableOfContents.ReadAsync(processRunner, bin, entry.FullPath, output, cancellationToken)).Tables.Count();
            }

            await using (var admin = await database.OpenAsync(cancellationToken))
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {PostgresIdentifiers.Quote(scratch)} TEMPLATE template0", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
                created = true;
                output.System($"scratch database {scratch} created");
                sourceTables = await CountTablesAsync(admin, cancellationToken);
            }

            var restore = await new BackupRestorer(processRunner).RestoreAsync(
                bin, entry, database.ConnectionString, scratch, clean: false, scratch: true, useList: null, output, cancellationToken);
            if (restore.ExitCode != 0)
            {
                failures.Add($"the restore into {scratch} failed with exit code {restore.ExitCode.ToString(inv)}");
            }
            else
            {
                await using var copy = await database.OpenAsync(cancellationToken, scratch);
                await using var source = await database.OpenAsync(cancellationToken);
                tablesRestored = await CountTablesAsync(copy, cancellationToken);
                output.Stdout(string.Create(inv, $"tables restored: {tablesRestored}{(tablesInBackup is { } n ? $" (backup holds {n})" : string.Empty)}; live database: {sourceTables}"));
                if (tablesInBackup is { } expected && tablesRestored != expected)
                {
                    failures.Add(string.Create(inv, $"{tablesRestored} tables restored, the backup holds {expected}"));
                }
                else if (tablesRestored == 0)
                {
                    failures.Add("no table was restored");
                }

                foreach (var table in database.Policy.VerifyTables)
                {
                    var rows = await CountRowsAsync(copy, table, cancellationToken);
                    var sourceRows = await CountRowsAsync(source, table, cancellationToken);
                    verifyTables.Add(new TableCount(table, rows, sourceRows));
                    output.Stdout(string.Create(inv, $"{table}: {(rows is { } r ? r.ToString(inv) : "missing")} rows in the backup, {(sourceRows is { } s ? s.ToString(inv) : "missing")} in the live database"));
                    if (rows is null)
                    {
                        failures.Add($"table '{table}' (Postgres:Databases:{database.Name}:VerifyTables) is not in the restored copy");
                    }
                }
            }
        }
        catch (Exception ex) when (PostgresErrors.IsReportable(ex) || ex is BackupRefusedException)
        {
            failures.Add(PostgresErrors.Describe(ex));
        }
        finally
        {
            if (created)
            {
                dropped = await DropScratchAsync(database, scratch, output);
            }
        }

        var passed = failures.Count == 0;
        var result = new VerifyResult(
            database.Name, entry.FileName, entry.Format, manifest.Sha256, scratch, tablesInBackup, tablesRestored, sourceTables, verifyTables,
            passed, failures, dropped, (long)timeProvider.GetElapsedTime(started).TotalMilliseconds);
        if (passed)
        {
            output.Stdout($"backup {entry.FileName} verified");
            return ExecutorResult.Success(result);
        }

        var error = $"verification of {entry.FileName} failed: {string.Join("; ", failures)}";
        output.Stderr(error);
        return ExecutorResult.Failure(error, result);
    }

    /// <summary><c>ops_verify_&lt;db, lowercase letters digits and _&gt;_&lt;yyyyMMddHHmmss&gt;</c>, at most 63 bytes.</summary>
    private static string ScratchName(string database, DateTimeOffset now)
    {
        var safe = UnsafeCharacters().Replace(database.ToLowerInvariant(), "_");
        if (safe.Length > 34)
        {
            safe = safe[..34];
        }

        return "ops_verify_" + safe + "_" + now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
    }

    private static async Task<long> CountTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT count(*)
            FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<long?> CountRowsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        if (await PostgresTableStats.ResolveAsync(connection, table, cancellationToken) is not { } resolved)
        {
            return null;
        }

        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {PostgresIdentifiers.QuoteTable(resolved)}", connection) { CommandTimeout = 0 };
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<bool> DropScratchAsync(PostgresDatabase database, string scratch, IJobOutput output)
    {
        // Runs even when the job was cancelled: a scratch copy must not outlive the job.
        using var timeout = new CancellationTokenSource(DropTimeout, timeProvider);
        try
        {
            await using var admin = await database.OpenAsync(timeout.Token);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PostgresIdentifiers.Quote(scratch)} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(timeout.Token);
            output.System($"scratch database {scratch} dropped");
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            output.Stderr($"could not drop the scratch database {scratch}: {PostgresErrors.Describe(ex)}");
            PostgresLog.ScratchNotDropped(logger, scratch, ex.Message);
            return false;
        }
    }

    [GeneratedRegex("[^a-z0-9_]")]
    private static partial Regex UnsafeCharacters();

    internal sealed record TableCount(string Table, long? Rows, long? SourceRows);

    internal sealed record VerifyResult(
        string Database, string File, string Format, string Sha256, string ScratchDatabase, int? TablesInBackup, long TablesRestored, long SourceTables,
        IReadOnlyList<TableCount> VerifyTables, bool Passed, IReadOnlyList<string> Failures, bool ScratchDropped, long DurationMs);
}
