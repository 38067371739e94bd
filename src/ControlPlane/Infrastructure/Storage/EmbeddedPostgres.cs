using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// A private PostgreSQL cluster run from the machine's server binaries (DESIGN.md §8): created
/// with <c>initdb</c> on first use in <see cref="EmbeddedPostgresOptions.RootDirectory"/>,
/// started with <c>pg_ctl</c>, reachable only through a Unix socket inside that folder (no TCP
/// port), and stopped on <see cref="StopAsync"/>. When the process runs as root the server runs
/// as the <c>postgres</c> OS user (PostgreSQL refuses to run as root). A server left running by
/// a crashed previous run is stopped and restarted; a stale <c>postmaster.pid</c> is removed.
/// The test suite uses this same component for its throwaway clusters.
/// </summary>
internal sealed class EmbeddedPostgres(EmbeddedPostgresOptions options, ILogger<EmbeddedPostgres> logger)
{
    private const string ServiceUser = "postgres";
    private const int Port = 5432;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private readonly bool _asServiceUser = Environment.IsPrivilegedProcess;
    private string? _binDirectory;

    /// <summary>The cluster's root folder (absolute); the Unix socket lives here.</summary>
    public string RootDirectory { get; } = Path.GetFullPath(options.RootDirectory);

    private string DataDirectory => Path.Combine(RootDirectory, "data");

    private string LogFile => Path.Combine(RootDirectory, "postgres.log");

    /// <summary>
    /// The Npgsql connection string of <paramref name="database"/> (default: the Ops database)
    /// over the cluster's Unix socket, as the <c>postgres</c> superuser.
    /// </summary>
    public string GetConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder
    {
        Host = RootDirectory,
        Port = Port,
        Username = ServiceUser,
        Database = database ?? options.Database,
        Pooling = true,
        MaxPoolSize = 100,
    }.ConnectionString;

    /// <summary>
    /// Creates the cluster if needed, starts it and creates the Ops database.
    /// </summary>
    /// <exception cref="EmbeddedPostgresException">No server binaries; the folder is closed to the <c>postgres</c> user; <c>initdb</c> or the server failed (the message names the log).</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _binDirectory = FindBinDirectory(options.BinDirectory);
        await PrepareDirectoryAsync(cancellationToken);

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            EmbeddedPostgresLog.Initializing(logger, DataDirectory);
            var init = await RunAsync(
                Path.Combine(_binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", ServiceUser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                asServiceUser: true,
                cancellationToken);
            if (init.ExitCode != 0)
            {
                throw new EmbeddedPostgresException($"initdb failed for {DataDirectory} (exit {init.ExitCode}):\n{init.Output}");
            }
        }

        await WriteSettingsAsync(cancellationToken);
        await ClearPreviousRunAsync(cancellationToken);

        var start = await RunAsync(
            Path.Combine(_binDirectory, "pg_ctl"),
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-s"],
            asServiceUser: true,
            cancellationToken);
        if (start.ExitCode != 0)
        {
            throw new EmbeddedPostgresException(
                $"PostgreSQL did not start (pg_ctl exit {start.ExitCode}): {start.Output.Trim()}\nServer log: {LogFile}\n{Tail(LogFile)}");
        }

        EmbeddedPostgresLog.Started(logger, RootDirectory);
        await CreateDatabaseAsync(options.Database, cancellationToken);
    }

    /// <summary>Creates <paramref name="database"/> in the cluster unless it exists.</summary>
    public async Task CreateDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(GetConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var quoted = "\"" + database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Stops the server (fast shutdown: sessions are ended, data is flushed). Safe to call twice.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_binDirectory is null || !File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        var stop = await RunAsync(
            Path.Combine(_binDirectory, "pg_ctl"),
            ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "-s"],
            asServiceUser: true,
            cancellationToken);
        if (stop.ExitCode == 0)
        {
            EmbeddedPostgresLog.Stopped(logger, RootDirectory);
        }
    }

    /// <summary>
    /// Finds the folder holding <c>initdb</c> and <c>pg_ctl</c>: the configured one, then PATH,
    /// then <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, newest version first.
    /// </summary>
    /// <exception cref="EmbeddedPostgresException">None found: the message says what to install.</exception>
    public static string FindBinDirectory(string? configured)
    {
        static bool HasServer(string dir) =>
            File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres"));

        if (!string.IsNullOrEmpty(configured))
        {
            return HasServer(configured)
                ? configured
                : throw new EmbeddedPostgresException($"No PostgreSQL server binaries (initdb, pg_ctl, postgres) in the configured folder {configured}.");
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (HasServer(dir))
            {
                return dir;
            }
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => HasServer(d.Dir))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return newest.Dir;
            }
        }

        throw new EmbeddedPostgresException(
            "No PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH or under /usr/lib/postgresql/*/bin. " +
            "Install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql) or set ConnectionStrings:Ops to an existing PostgreSQL.");
    }

    private async Task PrepareDirectoryAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(RootDirectory);
        if (!_asServiceUser)
        {
            File.SetUnixFileMode(RootDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }

        var chown = await RunAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", RootDirectory], asServiceUser: false, cancellationToken);
        if (chown.ExitCode != 0)
        {
            throw new EmbeddedPostgresException($"Could not give {RootDirectory} to the '{ServiceUser}' OS user (does it exist? apt-get install postgresql creates it): {chown.Output.Trim()}");
        }

        File.SetUnixFileMode(RootDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var reach = await RunAsync("test", ["-w", RootDirectory, "-a", "-x", RootDirectory], asServiceUser: true, cancellationToken);
        if (reach.ExitCode == 0)
        {
            return;
        }

        var blocked = RootDirectory;
        for (var dir = Path.GetDirectoryName(RootDirectory); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var probe = await RunAsync("test", ["-x", dir], asServiceUser: true, cancellationToken);
            if (probe.ExitCode != 0)
            {
                blocked = dir;
            }
        }

        var mode = Convert.ToString((int)File.GetUnixFileMode(blocked), 8);
        throw new EmbeddedPostgresException(
            $"The embedded PostgreSQL runs as the OS user '{ServiceUser}' (this process is root), and '{ServiceUser}' cannot reach {RootDirectory}: " +
            $"the folder {blocked} (mode {mode}) is closed to it. Set OPS_HOME to a folder it can reach (for example /var/lib/ops) " +
            $"or open the folder for traversal: chmod o+x {blocked}.");
    }

    private async Task WriteSettingsAsync(CancellationToken cancellationToken)
    {
        // Settings live in an included file rewritten on every start, so a moved OPS_HOME still works.
        var settings = new StringBuilder()
            .AppendLine("# Written by Ops at every start; edits are overwritten.")
            .AppendLine("listen_addresses = ''")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = '{RootDirectory.Replace("'", "''", StringComparison.Ordinal)}'")
            .AppendLine("unix_socket_permissions = 0700")
            .AppendLine("max_connections = 300")
            .AppendLine("shared_buffers = 128MB")
            .AppendLine("log_min_messages = warning");
        if (options.StatStatements)
        {
            settings.AppendLine("shared_preload_libraries = 'pg_stat_statements'").AppendLine("pg_stat_statements.track = all");
        }

        if (!options.Durable)
        {
            settings.AppendLine("fsync = off").AppendLine("synchronous_commit = off").AppendLine("full_page_writes = off");
        }

        var opsConf = Path.Combine(DataDirectory, "postgresql.ops.conf");
        await File.WriteAllTextAsync(opsConf, settings.ToString(), cancellationToken);
        var mainConf = Path.Combine(DataDirectory, "postgresql.conf");
        var text = await File.ReadAllTextAsync(mainConf, cancellationToken);
        if (!text.Contains("include_if_exists = 'postgresql.ops.conf'", StringComparison.Ordinal))
        {
            await File.AppendAllTextAsync(mainConf, "\ninclude_if_exists = 'postgresql.ops.conf'\n", cancellationToken);
        }

        if (_asServiceUser)
        {
            await RunAsync("chown", [$"{ServiceUser}:{ServiceUser}", opsConf, mainConf], asServiceUser: false, cancellationToken);
        }
    }

    private async Task ClearPreviousRunAsync(CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        var lines = await File.ReadAllLinesAsync(pidFile, cancellationToken);
        var pid = lines.Length > 0 && int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0;
        if (pid > 0 && IsOurPostmaster(pid))
        {
            // A previous run ended without stopping its server (crash, kill -9): stop it cleanly.
            EmbeddedPostgresLog.StoppingLeftover(logger, pid, RootDirectory);
            await RunAsync(Path.Combine(_binDirectory!, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "-s"], asServiceUser: true, cancellationToken);
        }
        else
        {
            EmbeddedPostgresLog.RemovingStalePid(logger, pidFile);
            File.Delete(pidFile);
        }
    }

    private bool IsOurPostmaster(int pid)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return cmdline.Contains("postgres", StringComparison.Ordinal) && cmdline.Contains(DataDirectory, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Tail(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 15)));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string file, IReadOnlyList<string> arguments, bool asServiceUser, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asServiceUser && _asServiceUser)
        {
            startInfo.FileName = "runuser";
            foreach (var a in (string[])["-u", ServiceUser, "--", file])
            {
                startInfo.ArgumentList.Add(a);
            }
        }
        else
        {
            startInfo.FileName = file;
        }

        foreach (var a in arguments)
        {
            startInfo.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new EmbeddedPostgresException($"Could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new EmbeddedPostgresException($"Could not run {startInfo.FileName}: {ex.Message}", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CommandTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new EmbeddedPostgresException($"{file} did not finish within {CommandTimeout.TotalSeconds} s.");
            }

            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
