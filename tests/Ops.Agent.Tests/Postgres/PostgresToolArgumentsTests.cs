using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Agent.Postgres;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Postgres;

/// <summary>How pg_dump is started: credentials only in its libpq environment, never in argv (visible in <c>ps</c>).</summary>
public sealed class PostgresToolArgumentsTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "ops-pgargs-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Backup_PassesTheConnectionAsLibpqEnvironment_NeverInArgv()
    {
        var bin = Path.Combine(directory, "bin");
        Directory.CreateDirectory(bin);
        foreach (var tool in new[] { "pg_dump", "pg_restore", "psql" })
        {
            await File.WriteAllTextAsync(Path.Combine(bin, tool), "#!/bin/sh\n");
        }

        var policy = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Postgres:BinDirectory"] = bin,
            ["Postgres:BackupDirectory"] = Path.Combine(directory, "backups"),
            ["Postgres:Databases:demo:ConnectionString"] = "Host=db.internal;Port=6432;Database=manalytics;Username=ops;Password=s3cr3t-pw;SSL Mode=Require",
        }).Build();
        var runner = new RecordingRunner();
        var executor = new PostgresBackupExecutor(policy, runner, TimeProvider.System, NullLogger<PostgresBackupExecutor>.Instance);

        var run = await Executions.RunAsync(executor, new PostgresBackupParameters("demo", Tables: ["manalytics.users"], DataOnly: true));

        Assert.False(run.Result.Succeeded); // the recording runner reports exit 1
        var spec = Assert.Single(runner.Specs);
        Assert.Equal(Path.Combine(bin, "pg_dump"), spec.FileName);
        Assert.Equal(["--format=custom", "--verbose", "--no-password", "--data-only", "--table=\"manalytics\".\"users\""], spec.Arguments);
        Assert.DoesNotContain(spec.Arguments, a => a.Contains("s3cr3t", StringComparison.Ordinal) || a.Contains("db.internal", StringComparison.Ordinal));
        var environment = spec.Environment!;
        Assert.Equal("db.internal", environment["PGHOST"]);
        Assert.Equal("6432", environment["PGPORT"]);
        Assert.Equal("manalytics", environment["PGDATABASE"]);
        Assert.Equal("ops", environment["PGUSER"]);
        Assert.Equal("s3cr3t-pw", environment["PGPASSWORD"]);
        Assert.Equal("require", environment["PGSSLMODE"]);
        Assert.DoesNotContain("s3cr3t", run.Output.Text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(directory, "backups")));
    }

    private sealed class RecordingRunner : IProcessRunner
    {
        public List<ProcessSpec> Specs { get; } = [];

        public Task<ProcessResult> RunAsync(ProcessSpec spec, IJobOutput output, CancellationToken cancellationToken)
        {
            Specs.Add(spec);
            return Task.FromResult(new ProcessResult(1, false, TimeSpan.Zero));
        }
    }
}
