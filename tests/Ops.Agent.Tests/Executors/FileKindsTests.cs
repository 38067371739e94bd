using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Executors;
using Ops.Agent.Policy;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Executors;

/// <summary>logs.tail, file.backup and files.prune on real files under a temporary policy.</summary>
public sealed class FileKindsTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("ops-files-").FullName;
    private readonly PathPolicy paths;
    private readonly RecordingOutput output = new();

    public FileKindsTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "outside"));
        paths = new PathPolicy(Options.Create(new PolicyOptions
        {
            Paths = new PathRootsOptions { Read = [Path.Combine(root, "logs")], Write = [Path.Combine(root, "etc")] },
        }));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task LogsTail_ReturnsTheLastLines_FilteredLikeGrepI()
    {
        var log = Path.Combine(root, "logs", "app.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(1, 50_000).Select(i => i % 7 == 0 ? $"{i} ERROR boom" : $"{i} info ok"));

        var all = await Run(new LogsTailExecutor(paths), new LogsTailParameters(log, 10));
        Assert.True(all.Succeeded, all.Error);
        Assert.Equal(Enumerable.Range(49_991, 10).Select(i => i % 7 == 0 ? $"{i} ERROR boom" : $"{i} info ok"), output.Of(OutputStream.Stdout));
        Assert.Equal("""{"path":"LOG","linesReturned":10,"matched":null,"truncated":true}""".Replace("LOG", log, StringComparison.Ordinal), Json(all));

        output.Lines.Clear();
        var errors = await Run(new LogsTailExecutor(paths), new LogsTailParameters(log, 100, "error", IgnoreCase: true));
        Assert.Equal(Enumerable.Range(49_901, 100).Where(i => i % 7 == 0).Select(i => $"{i} ERROR boom"), output.Of(OutputStream.Stdout));
        Assert.Contains("\"matched\":14", Json(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogsTail_ShortFile_IsNotTruncated_AndRefusalsName_ThePath()
    {
        var log = Path.Combine(root, "logs", "short.log");
        await File.WriteAllTextAsync(log, "one\r\ntwo\nthree");
        var result = await Run(new LogsTailExecutor(paths), new LogsTailParameters(log));
        Assert.Equal(["one", "two", "three"], output.Of(OutputStream.Stdout));
        Assert.Contains("\"truncated\":false", Json(result), StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(root, "outside", "secret.log"), "s");
        File.CreateSymbolicLink(Path.Combine(root, "logs", "link.log"), Path.Combine(root, "outside", "secret.log"));
        var escaped = await Run(new LogsTailExecutor(paths), new LogsTailParameters(Path.Combine(root, "logs", "link.log")));
        Assert.False(escaped.Succeeded);
        Assert.Contains("through a symbolic link, outside the allowed read paths", escaped.Error, StringComparison.Ordinal);
        var traversal = await Run(new LogsTailExecutor(paths), new LogsTailParameters(Path.Combine(root, "logs", "..", "outside", "secret.log")));
        Assert.Contains("outside the allowed read paths", traversal.Error, StringComparison.Ordinal);
        var missing = await Run(new LogsTailExecutor(paths), new LogsTailParameters(Path.Combine(root, "logs", "none.log")));
        Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileBackup_CopiesWithTimestampModeAndHash_AndNeverOverwrites()
    {
        var file = Path.Combine(root, "etc", "app.yml");
        await File.WriteAllTextAsync(file, "port: 8080\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var clock = new FixedTimeProvider(new DateTimeOffset(2025, 11, 12, 8, 30, 5, TimeSpan.Zero));
        var executor = new FileBackupExecutor(paths, clock);

        var result = await Run(executor, new FileBackupParameters(file));

        var backup = file + ".backup-20251112-083005";
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("port: 8080\n", await File.ReadAllTextAsync(backup));
        Assert.Equal(File.GetUnixFileMode(file), File.GetUnixFileMode(backup));
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("port: 8080\n"u8));
        Assert.Equal($$"""{"source":"{{file}}","backup":"{{backup}}","bytes":11,"sha256":"{{sha}}"}""", Json(result));

        await File.WriteAllTextAsync(file, "port: 9090\n");
        var again = await Run(executor, new FileBackupParameters(file));
        Assert.False(again.Succeeded);
        Assert.Contains("already exists; it is never overwritten", again.Error, StringComparison.Ordinal);
        Assert.Equal("port: 8080\n", await File.ReadAllTextAsync(backup));
    }

    [Fact]
    public async Task FileBackup_OutsideTheWriteRoots_IsRefused()
    {
        var log = Path.Combine(root, "logs", "app.log");
        await File.WriteAllTextAsync(log, "x");

        var result = await Run(new FileBackupExecutor(paths, TimeProvider.System), new FileBackupParameters(log));

        Assert.False(result.Succeeded);
        Assert.Contains("outside the allowed write paths", result.Error, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(root, "logs")));
    }

    [Fact]
    public async Task FilesPrune_DeletesOldMatchingRegularFilesOnly_DryRunKeepsThem()
    {
        var directory = Path.Combine(root, "etc", "backups");
        Directory.CreateDirectory(Path.Combine(directory, "old.sql.gz.d"));
        var now = new DateTimeOffset(2025, 11, 12, 0, 0, 0, TimeSpan.Zero);
        void Make(string name, int ageDays, int bytes = 10)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllBytes(path, new byte[bytes]);
            File.SetLastWriteTimeUtc(path, now.UtcDateTime.AddDays(-ageDays));
        }

        Make("a.sql.gz", 10, 100);
        Make("b.sql.gz", 8, 50);
        Make("c.sql.gz", 3);
        Make("d.sql", 30);
        Make("keep.txt", 30);
        File.CreateSymbolicLink(Path.Combine(directory, "link.sql.gz"), Path.Combine(directory, "keep.txt"));
        File.SetLastWriteTimeUtc(Path.Combine(directory, "old.sql.gz.d"), now.UtcDateTime.AddDays(-30));
        var executor = new FilesPruneExecutor(paths, new FixedTimeProvider(now));

        var dry = await Run(executor, new FilesPruneParameters(directory, "*.sql.gz", 7, DryRun: true));
        Assert.True(dry.Succeeded, dry.Error);
        Assert.Contains("\"matched\":2,\"deleted\":0,\"bytesFreed\":0", Json(dry), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, "a.sql.gz")));

        var real = await Run(executor, new FilesPruneParameters(directory, "?.sql.gz", 7));
        Assert.Contains("\"matched\":2,\"deleted\":2,\"bytesFreed\":150,\"files\":[{\"name\":\"a.sql.gz\"", Json(real), StringComparison.Ordinal);
        Assert.Equal(["c.sql.gz", "d.sql", "keep.txt", "link.sql.gz", "old.sql.gz.d"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FilesPrune_OutsideTheWriteRoots_IsRefused()
    {
        var result = await Run(new FilesPruneExecutor(paths, TimeProvider.System), new FilesPruneParameters(Path.Combine(root, "etc", "..", "logs"), "*", 1));

        Assert.False(result.Succeeded);
        Assert.Contains($"resolves to '{root}/logs', outside the allowed write paths", result.Error, StringComparison.Ordinal);
    }

    private static string Json(ExecutorResult result) => JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default);

    private Task<ExecutorResult> Run(IOperationExecutor executor, object parameters) =>
        executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);
}
