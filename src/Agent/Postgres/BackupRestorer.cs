using System.IO.Compression;
using Ops.Agent.Execution;
using Ops.Agent.Executors;

namespace Ops.Agent.Postgres;

/// <summary>
/// Loads a backup into a database with the PostgreSQL client tools, as child processes (argv, no
/// shell; credentials in the libpq environment), in one transaction that stops at the first error:
/// <list type="bullet">
/// <item>custom format: <c>pg_restore --single-transaction --exit-on-error [--clean --if-exists]
///   [--no-owner --no-privileges] [--use-list=&lt;selection&gt;] --dbname=&lt;db&gt; &lt;file&gt;</c>;</item>
/// <item>plain-gzip: the file is decompressed in-process into the stdin of
///   <c>psql -X -v ON_ERROR_STOP=1 --single-transaction -f -</c> (seed 000: <c>gunzip -c … | psql</c>).</item>
/// </list>
/// A failed restore therefore leaves the target as it was.
/// </summary>
internal sealed class BackupRestorer(IProcessRunner processRunner)
{
    /// <summary>Restores <paramref name="backup"/> into <paramref name="targetDatabase"/>.</summary>
    /// <param name="binDirectory">Folder of pg_restore and psql.</param>
    /// <param name="backup">The verified backup.</param>
    /// <param name="connectionString">The policy connection string (host, user, password).</param>
    /// <param name="targetDatabase">The server-side database to restore into.</param>
    /// <param name="clean">Drop the backup's objects before recreating them (custom format; plain backups carry their own DROPs).</param>
    /// <param name="scratch">Skip ownership and privileges (a throwaway copy).</param>
    /// <param name="useList">A <c>pg_restore -L</c> selection (custom format only), or null for everything.</param>
    /// <param name="output">The job output (the tools' messages).</param>
    /// <param name="cancellationToken">Cancels the tool (process group SIGTERM, then SIGKILL).</param>
    /// <returns>The tool's exit code and duration.</returns>
    public async Task<ProcessResult> RestoreAsync(
        string binDirectory,
        BackupEntry backup,
        string connectionString,
        string targetDatabase,
        bool clean,
        bool scratch,
        string? useList,
        IJobOutput output,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var environment = LibpqEnvironment.Build(connectionString, targetDatabase);
        if (backup.Format == BackupCatalog.PlainGzip)
        {
            return await processRunner.RunAsync(
                new ProcessSpec(Path.Combine(binDirectory, "psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--no-password", "-f", "-"])
                {
                    Environment = environment,
                    WorkingDirectory = "/",
                    StandardInputWriter = async (stdin, ct) =>
                    {
                        await using var file = new FileStream(backup.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                        await using var gunzip = new GZipStream(file, CompressionMode.Decompress);
                        await gunzip.CopyToAsync(stdin, ct);
                    },
                },
                output,
                cancellationToken);
        }

        var arguments = new List<string> { "--single-transaction", "--exit-on-error", "--verbose", "--no-password" };
        if (clean)
        {
            arguments.Add("--clean");
            arguments.Add("--if-exists");
        }

        if (scratch)
        {
            arguments.Add("--no-owner");
            arguments.Add("--no-privileges");
        }

        string? listFile = null;
        try
        {
            if (useList is not null)
            {
                listFile = Path.Combine(Path.GetTempPath(), $"ops-restore-{Guid.NewGuid():N}.list");
                await File.WriteAllTextAsync(listFile, useList, cancellationToken);
                arguments.Add("--use-list=" + listFile);
            }

            arguments.Add("--dbname=" + targetDatabase);
            arguments.Add(backup.FullPath);
            return await processRunner.RunAsync(
                new ProcessSpec(Path.Combine(binDirectory, "pg_restore"), arguments) { Environment = environment, WorkingDirectory = "/" },
                output,
                cancellationToken);
        }
        finally
        {
            if (listFile is not null)
            {
                File.Delete(listFile);
            }
        }
    }
}
