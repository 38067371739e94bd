using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Archives;
using Ops.Agent.Executors;
using Ops.Agent.Policy;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Executors;

/// <summary>files.archive and files.restore-archive on real files (seed 003 "Sauvegarde des volumes" / "Restauration d'un volume").</summary>
public sealed class ArchiveKindsTests : IDisposable
{
    private static readonly DateTimeOffset Night = new(2026, 11, 30, 2, 0, 0, TimeSpan.Zero);
    private readonly string root = PathPolicy.Resolve(Directory.CreateTempSubdirectory("ops-archive-").FullName, out _);
    private readonly RecordingOutput output = new();
    private readonly IOptions<PolicyOptions> policy;
    private readonly PathPolicy paths;

    public ArchiveKindsTests()
    {
        foreach (var folder in new[] { "data", "restore", "outside" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        policy = Options.Create(new PolicyOptions
        {
            Paths = new PathRootsOptions { Read = [Data], Write = [Path.Combine(root, "restore")] },
            Archives = new ArchivePolicyOptions { Directory = Archives },
        });
        paths = new PathPolicy(policy);
    }

    private string Data => Path.Combine(root, "data");

    private string Archives => Path.Combine(root, "archives");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task ArchiveThenRestore_RoundTripsFilesModesLinksAndTimes_WithAManifestAndExcludes()
    {
        await File.WriteAllTextAsync(Path.Combine(Data, "app.yml"), "port: 8080\n");
        File.SetUnixFileMode(Path.Combine(Data, "app.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await File.WriteAllTextAsync(Path.Combine(Data, ".env"), "API_KEY=abc\n");
        Directory.CreateDirectory(Path.Combine(Data, "sub", "deep"));
        await File.WriteAllBytesAsync(Path.Combine(Data, "sub", "deep", "file.bin"), RandomNumberGenerator.GetBytes(200_000));
        File.SetLastWriteTimeUtc(Path.Combine(Data, "sub", "deep", "file.bin"), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        File.CreateSymbolicLink(Path.Combine(Data, "sub", "link"), "deep/file.bin");
        Directory.CreateDirectory(Path.Combine(Data, "cache"));
        await File.WriteAllTextAsync(Path.Combine(Data, "cache", "x.tmp"), "tmp");
        Directory.CreateDirectory(Path.Combine(Data, "logs"));
        await File.WriteAllTextAsync(Path.Combine(Data, "logs", "a.log"), "log");

        var archived = await Run(new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night)), new FilesArchiveParameters(Data, Exclude: ["*.log", "cache/**"]));

        Assert.True(archived.Succeeded, archived.Error);
        var file = Path.Combine(Archives, "data_20261130_020000.tar.gz");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file)));
        using (var json = Json(archived))
        {
            Assert.Equal("data_20261130_020000.tar.gz", json.RootElement.GetProperty("file").GetString());
            Assert.Equal(8, json.RootElement.GetProperty("entries").GetInt64()); // .env app.yml cache/ logs/ sub/ sub/deep/ sub/deep/file.bin sub/link
            Assert.Equal(new FileInfo(file).Length, json.RootElement.GetProperty("bytes").GetInt64());
            Assert.Equal(sha256, json.RootElement.GetProperty("sha256").GetString());
        }

        var manifest = ArchiveCatalog.ReadManifest(file)!;
        Assert.Equal((sha256, Data, true), (manifest.Sha256, manifest.Source, manifest.Succeeded));
        Assert.Equal(["data_20261130_020000.tar.gz", "data_20261130_020000.tar.gz.json"], Directory.GetFiles(Archives).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var target = Path.Combine(root, "restore", "volumes", "data");
        var restored = await Run(new FilesRestoreArchiveExecutor(policy, paths), new FilesRestoreArchiveParameters("data_20261130_020000.tar.gz", target));

        Assert.True(restored.Succeeded, restored.Error);
        Assert.Equal("port: 8080\n", await File.ReadAllTextAsync(Path.Combine(target, "app.yml")));
        Assert.Equal(File.GetUnixFileMode(Path.Combine(Data, "app.yml")), File.GetUnixFileMode(Path.Combine(target, "app.yml")));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Data, "sub", "deep", "file.bin")), await File.ReadAllBytesAsync(Path.Combine(target, "sub", "deep", "file.bin")));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), File.GetLastWriteTimeUtc(Path.Combine(target, "sub", "deep", "file.bin")));
        Assert.Equal("deep/file.bin", new FileInfo(Path.Combine(target, "sub", "link")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(target, "cache")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(target, "cache")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(target, "logs")));
        Assert.Equal(["volumes"], Directory.GetFileSystemEntries(Path.Combine(root, "restore")).Select(Path.GetFileName)); // no staging folder left
        using var restoredJson = Json(restored);
        Assert.Equal(8, restoredJson.RootElement.GetProperty("entries").GetInt64());
        Assert.Equal(3, restoredJson.RootElement.GetProperty("files").GetInt64());
        Assert.Equal(sha256, restoredJson.RootElement.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Archive_RetentionDays_RemovesOnlyThisNamesOlderArchives()
    {
        await File.WriteAllTextAsync(Path.Combine(Data, "grafana.ini"), "[server]\n");
        var first = await Run(new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night)), new FilesArchiveParameters(Data, "config"));
        var other = await Run(new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night)), new FilesArchiveParameters(Data, "config_old"));
        Assert.True(first.Succeeded && other.Succeeded, first.Error + other.Error);

        var later = await Run(new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night.AddDays(31))), new FilesArchiveParameters(Data, "config", RetentionDays: 30));

        Assert.True(later.Succeeded, later.Error);
        using var json = Json(later);
        Assert.Equal(["config_20261130_020000.tar.gz"], json.RootElement.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(
            ["config_20261231_020000.tar.gz", "config_20261231_020000.tar.gz.json", "config_old_20261130_020000.tar.gz", "config_old_20261130_020000.tar.gz.json"],
            Directory.GetFiles(Archives).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var again = await Run(new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night.AddDays(31))), new FilesArchiveParameters(Data, "config"));
        Assert.Equal("archive 'config_20261231_020000.tar.gz' already exists; it is never overwritten", again.Error);
    }

    [Fact]
    public async Task Restore_OfATamperedArchive_IsRefused_AndWritesNothing()
    {
        await File.WriteAllTextAsync(Path.Combine(Data, "pgdata.conf"), "shared_buffers = 128MB\n");
        Assert.True((await Run(new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night)), new FilesArchiveParameters(Data, "pgdata"))).Succeeded);
        var file = Path.Combine(Archives, "pgdata_20261130_020000.tar.gz");
        await File.AppendAllTextAsync(file, "x");

        var result = await Run(new FilesRestoreArchiveExecutor(policy, paths), new FilesRestoreArchiveParameters("pgdata_20261130_020000.tar.gz", Path.Combine(root, "restore", "pg")));

        Assert.False(result.Succeeded);
        Assert.StartsWith("restore refused: archive 'pgdata_20261130_020000.tar.gz' has changed since it was written: its sha256 is ", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "restore")));

        File.Delete(ArchiveCatalog.ManifestPath(file));
        var noManifest = await Run(new FilesRestoreArchiveExecutor(policy, paths), new FilesRestoreArchiveParameters("pgdata_20261130_020000.tar.gz", Path.Combine(root, "restore", "pg")));
        Assert.Equal("restore refused: archive 'pgdata_20261130_020000.tar.gz' has no readable manifest (pgdata_20261130_020000.tar.gz.json), so its integrity cannot be checked.", noManifest.Error);
    }

    public static TheoryData<string, string> TarSlips => new()
    {
        { "dotdot", "entry '../outside/evil.txt' would be written outside the destination" },
        { "absolute", "would be written outside the destination (absolute path or '..')" },
        { "link-absolute", "symbolic link 'etc' -> '/etc' points outside the destination" },
        { "link-up", "symbolic link 'sub/up' -> '../../outside' points outside the destination" },
        { "link-chain", "entry 'sub/l2' resolves to '" },
        { "hardlink-out", "hard link 'passwd' -> '../../../etc/passwd' does not name an earlier file of the archive" },
    };

    [Theory]
    [MemberData(nameof(TarSlips))]
    public async Task Restore_OfAnArchiveWithAnEntryEscapingTheDestination_IsRefused_AndWritesNothing(string slip, string error)
    {
        var evilAbsolute = Path.Combine(root, "outside", "absolute.txt");
        var file = await CraftAsync(slip, tar =>
        {
            tar.WriteEntry(Entry(TarEntryType.RegularFile, "good.txt", "fine"));
            switch (slip)
            {
                case "dotdot":
                    tar.WriteEntry(Entry(TarEntryType.RegularFile, "../outside/evil.txt", "pwned"));
                    break;
                case "absolute":
                    tar.WriteEntry(Entry(TarEntryType.RegularFile, evilAbsolute, "pwned"));
                    break;
                case "link-absolute":
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = "/etc" });
                    break;
                case "link-up":
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "sub/"));
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/up") { LinkName = "../../outside" });
                    break;
                case "link-chain":
                    // Lexically inside (sub/l1/.. = sub), physically out: sub/l1 is the root, so l1/.. is its parent.
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "sub/"));
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/l1") { LinkName = ".." });
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/l2") { LinkName = "l1/.." });
                    tar.WriteEntry(Entry(TarEntryType.RegularFile, "sub/l2/outside/evil.txt", "pwned"));
                    break;
                case "hardlink-out":
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "passwd") { LinkName = "../../../etc/passwd" });
                    break;
            }
        });
        var destination = Path.Combine(root, "restore", "target");

        var result = await Run(new FilesRestoreArchiveExecutor(policy, paths), new FilesRestoreArchiveParameters(file, destination));

        Assert.False(result.Succeeded);
        Assert.StartsWith($"restore refused: {file}: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "restore"))); // neither the destination nor a staging folder
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "outside")));
        Assert.False(File.Exists(evilAbsolute));
    }

    [Fact]
    public async Task Archive_AndRestore_Refusals_NameWhatIsWrong()
    {
        await File.WriteAllTextAsync(Path.Combine(Data, "a.txt"), "a");
        var archive = new FilesArchiveExecutor(policy, paths, new FixedTimeProvider(Night));
        var restore = new FilesRestoreArchiveExecutor(policy, paths);
        Assert.Contains("outside the allowed read paths", (await Run(archive, new FilesArchiveParameters(Path.Combine(root, "outside")))).Error, StringComparison.Ordinal);
        Assert.Equal($"'{Data}/a.txt' is a file, not a directory (use file.backup)", (await Run(archive, new FilesArchiveParameters(Path.Combine(Data, "a.txt")))).Error);
        Assert.True((await Run(archive, new FilesArchiveParameters(Data))).Succeeded);

        Directory.CreateDirectory(Path.Combine(root, "restore", "busy"));
        await File.WriteAllTextAsync(Path.Combine(root, "restore", "busy", "keep.txt"), "keep");
        var busy = await Run(restore, new FilesRestoreArchiveParameters("data_20261130_020000.tar.gz", Path.Combine(root, "restore", "busy")));
        Assert.Equal($"restore refused: '{root}/restore/busy' is not a new or empty directory", busy.Error);
        Assert.Equal("keep", await File.ReadAllTextAsync(Path.Combine(root, "restore", "busy", "keep.txt")));
        Assert.Contains("outside the allowed write paths", (await Run(restore, new FilesRestoreArchiveParameters("data_20261130_020000.tar.gz", Path.Combine(root, "outside", "x")))).Error, StringComparison.Ordinal);
        Assert.Equal($"restore refused: archive 'nope.tar.gz' does not exist in {Archives}.", (await Run(restore, new FilesRestoreArchiveParameters("nope.tar.gz", Path.Combine(root, "restore", "n")))).Error);

        Directory.CreateDirectory(Path.Combine(root, "restore", "empty"));
        var intoEmpty = await Run(restore, new FilesRestoreArchiveParameters("data_20261130_020000.tar.gz", Path.Combine(root, "restore", "empty")));
        Assert.True(intoEmpty.Succeeded, intoEmpty.Error);
        Assert.Equal("a", await File.ReadAllTextAsync(Path.Combine(root, "restore", "empty", "a.txt")));

        Directory.Delete(Path.Combine(root, "restore"), recursive: true);
        Directory.CreateDirectory(Path.Combine(root, "restore"));
        var intoRoot = await Run(restore, new FilesRestoreArchiveParameters("data_20261130_020000.tar.gz", Path.Combine(root, "restore")));
        Assert.Equal($"restore refused: '{root}/restore' is a write root itself; restore into a folder below it", intoRoot.Error);
        Assert.Equal(["archives", "data", "outside", "restore"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var unconfigured = Options.Create(new PolicyOptions { Paths = policy.Value.Paths });
        Assert.Equal("Policy:Archives:Directory is not set: this agent keeps no archives.", (await Run(new FilesArchiveExecutor(unconfigured, paths, TimeProvider.System), new FilesArchiveParameters(Data))).Error);
    }

    /// <summary>A hand-made archive in the archive folder with a manifest that matches it, so only its entries can make it refused.</summary>
    private async Task<string> CraftAsync(string name, Action<TarWriter> write)
    {
        Directory.CreateDirectory(Archives);
        var file = $"{name}_20261130_020000.tar.gz";
        var path = Path.Combine(Archives, file);
        await using (var stream = File.Create(path))
        await using (var gzip = new GZipStream(stream, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(tar);
        }

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path)));
        await ArchiveCatalog.WriteManifestAsync(path, new ArchiveManifest(name, file, "/crafted", 2, 0, new FileInfo(path).Length, sha256, [], Night, Night, true), CancellationToken.None);
        return file;
    }

    private static PaxTarEntry Entry(TarEntryType type, string name, string content) => new(type, name)
    {
        DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    };

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private Task<ExecutorResult> Run(IOperationExecutor executor, object parameters) =>
        executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);
}
