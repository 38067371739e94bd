using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ops.Benchmarks;

/// <summary>
/// The machine's PostgreSQL client programs (<c>psql</c>, <c>pgbench</c> from the newest
/// <c>/usr/lib/postgresql/&lt;ver&gt;/bin</c>) pointed at the control plane's embedded cluster:
/// Unix socket in <c>&lt;OPS_HOME&gt;/pg</c>, user <c>postgres</c> (trust), database <c>ops</c>.
/// </summary>
internal sealed partial class PostgresTools(string opsHome)
{
    private readonly string _socketDirectory = Path.Combine(opsHome, "pg");
    private readonly string _binDirectory = Directory.GetDirectories("/usr/lib/postgresql")
        .Select(d => Path.Combine(d, "bin"))
        .Where(d => File.Exists(Path.Combine(d, "pgbench")))
        .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), CultureInfo.InvariantCulture, out var v) ? v : 0)
        .FirstOrDefault() ?? throw new InvalidOperationException("no pgbench under /usr/lib/postgresql/*/bin");

    /// <summary>The pid of the cluster's postmaster (first line of data/postmaster.pid).</summary>
    public int PostmasterPid() =>
        int.Parse(File.ReadLines(Path.Combine(_socketDirectory, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    /// <summary>Runs one SQL command with psql (unaligned, tuples only) and returns its output.</summary>
    /// <exception cref="InvalidOperationException">psql failed; the message carries its stderr.</exception>
    public async Task<string> PsqlAsync(string sql, CancellationToken cancellationToken)
    {
        var (code, output, error) = await RunAsync(
            Path.Combine(_binDirectory, "psql"),
            ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", _socketDirectory, "-U", "postgres", "-d", "ops", "-c", sql],
            cancellationToken);
        return code == 0 ? output.Trim() : throw new InvalidOperationException($"psql failed ({code}): {error}");
    }

    /// <summary>
    /// <c>pgbench -n -c &lt;clients&gt; -j 2 -T &lt;seconds&gt; -f &lt;script&gt; ops</c>, CPU and <c>pg_stat_activity</c> sampled over the run.
    /// </summary>
    public async Task<PgBenchResult> PgBenchAsync(string name, string script, int clients, int seconds, int controlPlanePid, CancellationToken cancellationToken)
    {
        var sampler = new CpuSampler(controlPlanePid, PostmasterPid());
        var activity = SampleActivityAsync(TimeSpan.FromSeconds(seconds - 1), TimeSpan.FromMilliseconds(200), cancellationToken);
        var (code, output, error) = await RunAsync(
            Path.Combine(_binDirectory, "pgbench"),
            ["-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture),
             "-f", script, "-h", _socketDirectory, "-U", "postgres", "ops"],
            cancellationToken);
        var cpu = sampler.Stop();
        var waits = await activity;
        if (code != 0)
        {
            throw new InvalidOperationException($"pgbench failed ({code}): {error}\n{output}");
        }

        var tps = TpsLine().Match(output);
        var latency = LatencyLine().Match(output);
        var processed = ProcessedLine().Match(output);
        if (!tps.Success)
        {
            throw new InvalidOperationException($"no tps in pgbench output:\n{output}");
        }

        return new PgBenchResult(
            name,
            clients,
            double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN,
            processed.Success ? long.Parse(processed.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            cpu,
            waits);
    }

    /// <summary>
    /// <c>pgbench -n -c 1 -r -T &lt;seconds&gt; -f &lt;script&gt; ops</c>: pgbench's average latency of the
    /// script's statement that starts with <paramref name="statementStart"/>, in ms (its <c>-r</c> report).
    /// </summary>
    /// <exception cref="InvalidOperationException">pgbench failed or reported no such statement.</exception>
    public async Task<double> StatementLatencyAsync(string script, string statementStart, int seconds, CancellationToken cancellationToken)
    {
        var (code, output, error) = await RunAsync(
            Path.Combine(_binDirectory, "pgbench"),
            ["-n", "-c", "1", "-r", "-T", seconds.ToString(CultureInfo.InvariantCulture), "-f", script, "-h", _socketDirectory, "-U", "postgres", "ops"],
            cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException($"pgbench failed ({code}): {error}\n{output}");
        }

        var line = StatementLine().Matches(output).FirstOrDefault(m => m.Groups[2].Value.StartsWith(statementStart, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"no '{statementStart}' statement latency in pgbench output:\n{output}");
        return double.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Samples the active client backends of <c>pg_stat_activity</c> every <paramref name="interval"/>
    /// for <paramref name="duration"/> from one psql session (one process, bounded sample count).
    /// </summary>
    /// <returns>States by average number of backends, largest first.</returns>
    public async Task<IReadOnlyList<PgWait>> SampleActivityAsync(TimeSpan duration, TimeSpan interval, CancellationToken cancellationToken)
    {
        var samples = Math.Max(1, (int)(duration / interval));
        var script = new StringBuilder();
        for (var i = 0; i < samples; i++)
        {
            script.AppendLine(
                """
                SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || '|' || left(regexp_replace(query, '\s+', ' ', 'g'), 48)
                  FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid();
                """);
            script.AppendLine(CultureInfo.InvariantCulture, $"SELECT pg_sleep({interval.TotalSeconds:F3});");
        }

        var file = Path.Combine(Path.GetTempPath(), $"ops-bench-activity-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(file, script.ToString(), cancellationToken);
        try
        {
            var (code, output, error) = await RunAsync(
                Path.Combine(_binDirectory, "psql"),
                ["-X", "-A", "-t", "-q", "-h", _socketDirectory, "-U", "postgres", "-d", "ops", "-f", file],
                cancellationToken);
            if (code != 0)
            {
                throw new InvalidOperationException($"psql failed ({code}): {error}");
            }

            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .GroupBy(line => line, StringComparer.Ordinal)
                .Select(g =>
                {
                    var parts = g.Key.Split('|', 2);
                    return new PgWait(parts[0], parts.Length > 1 ? parts[1] : string.Empty, g.Count() / (double)samples);
                })
                .OrderByDescending(w => w.Backends)
                .ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Reads <see cref="PgCounters"/> (next xid, WAL position, transactions of <paramref name="database"/>).</summary>
    public async Task<PgCounters> CountersAsync(string database, CancellationToken cancellationToken) =>
        PgCounters.Parse(await PsqlAsync(PgCounters.Sql(database), cancellationToken));

    /// <summary>The directory of the cluster's Unix socket (<c>&lt;OPS_HOME&gt;/pg</c>).</summary>
    public string SocketDirectory => _socketDirectory;

    /// <summary>The cluster's port (fourth line of data/postmaster.pid), which names its socket file.</summary>
    public int Port() =>
        int.Parse(File.ReadLines(Path.Combine(_socketDirectory, "data", "postmaster.pid")).ElementAt(3), CultureInfo.InvariantCulture);

    /// <summary>The server version, e.g. <c>15.14</c>.</summary>
    public Task<string> ServerVersionAsync(CancellationToken cancellationToken) => PsqlAsync("SHOW server_version", cancellationToken);

    private static async Task<(int Code, string Output, string Error)> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"^tps = ([0-9.]+) \(without initial connection time\)", RegexOptions.Multiline)]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"^latency average = ([0-9.]+) ms", RegexOptions.Multiline)]
    private static partial Regex LatencyLine();

    /// <summary>A line of pgbench's <c>-r</c> report: latency ms, failures, the statement.</summary>
    [GeneratedRegex(@"^\s+([0-9.]+)\s+[0-9]+\s+(\S.*)$", RegexOptions.Multiline)]
    private static partial Regex StatementLine();

    [GeneratedRegex(@"^number of transactions actually processed: ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex ProcessedLine();
}
