using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Agent.Execution;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Execution;

public sealed class ProcessRunnerTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ops-runner-").FullName;
    private readonly ProcessRunner runner = new(TimeProvider.System, NullLogger<ProcessRunner>.Instance);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Run_PassesEachArgumentVerbatim_NoShellInterpretsThem()
    {
        var marker = Path.Combine(directory, "pwned");
        string[] arguments = ["%s\n", "a b  c", $"$(touch {marker})", $"; touch {marker}", "`id`", "'\"*?|&>"];
        var output = new RecordingOutput();

        var result = await runner.RunAsync(new ProcessSpec("printf", arguments), output, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.False(result.Cancelled);
        Assert.Equal(arguments[1..], output.Of(OutputStream.Stdout));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Run_ReportsExitCode_AndStderrLines()
    {
        var output = new RecordingOutput();

        var result = await runner.RunAsync(new ProcessSpec("bash", ["-c", "echo out; echo err >&2; exit 7"]), output, CancellationToken.None);

        Assert.Equal(7, result.ExitCode);
        Assert.Equal(["out"], output.Of(OutputStream.Stdout));
        Assert.Equal(["err"], output.Of(OutputStream.Stderr));
    }

    [Fact]
    public async Task Run_WithEnvironment_DoesNotInheritTheAgentsEnvironment()
    {
        Environment.SetEnvironmentVariable("OPS_RUNNER_TEST_LEAK", "leaked");
        var output = new RecordingOutput();
        var spec = new ProcessSpec("env", []) { Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["ONLY"] = "this" } };

        await runner.RunAsync(spec, output, CancellationToken.None);

        Assert.Equal(["ONLY=this", "PATH=/usr/bin:/bin"], output.Of(OutputStream.Stdout).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_WithStandardOutputTarget_CopiesBytes_AndWritesStdin()
    {
        using var target = new MemoryStream();
        var output = new RecordingOutput();
        var spec = new ProcessSpec("cat", [])
        {
            StandardOutputTarget = target,
            StandardInputWriter = async (stdin, token) => await stdin.WriteAsync(new byte[] { 0, 1, 2, 255 }, token),
        };

        var result = await runner.RunAsync(spec, output, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, target.ToArray());
        Assert.Empty(output.Lines);
    }

    [Fact]
    public async Task Run_MissingProgram_ThrowsFileNotFound()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            runner.RunAsync(new ProcessSpec("no-such-program-ops", []), new RecordingOutput(), CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            runner.RunAsync(new ProcessSpec(Path.Combine(directory, "missing.sh"), []), new RecordingOutput(), CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_KillsTheWholeTree_IncludingChildrenThatIgnoreSigterm()
    {
        // The script and its children ignore SIGTERM, so only the SIGKILL after the grace ends them;
        // one grandchild is started by a subshell that exits at once (reparented to init).
        const string Script = """
            trap '' TERM
            sleep 1000 & echo "pid $!"
            bash -c 'trap "" TERM; sleep 1000 & echo "pid $!"; wait' & echo "pid $!"
            (sleep 1000 & echo "pid $!")
            echo ready
            wait
            """;
        var output = new RecordingOutput();
        using var cancellation = new CancellationTokenSource();
        var run = runner.RunAsync(new ProcessSpec("bash", ["-c", Script]) { KillGrace = TimeSpan.FromMilliseconds(300) }, output, cancellation.Token);
        await Eventually.TrueAsync(() => output.Of(OutputStream.Stdout).Count(l => l.StartsWith("pid ", StringComparison.Ordinal)) == 4 && output.Of(OutputStream.Stdout).Contains("ready"), "the children");
        var pids = output.Of(OutputStream.Stdout).Where(l => l.StartsWith("pid ", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], CultureInfo.InvariantCulture)).ToList();
        Assert.All(pids, pid => Assert.True(ProcessSignals.IsAlive(pid)));

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await Eventually.TrueAsync(() => pids.All(pid => !ProcessSignals.IsAlive(pid)), "every descendant to be gone");
    }

    [Fact]
    public async Task Exit_TerminatesWhatTheProgramLeftInItsGroup()
    {
        var output = new RecordingOutput();

        var result = await runner.RunAsync(new ProcessSpec("bash", ["-c", "sleep 1000 & echo $!; exit 3"]), output, CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        var pid = int.Parse(output.Of(OutputStream.Stdout).Single(), CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(() => !ProcessSignals.IsAlive(pid), "the leftover sleep to be gone");
    }

    [Fact]
    public async Task LongLines_AreSplit_AndALastLineWithoutNewlineIsKept()
    {
        var output = new RecordingOutput();

        await runner.RunAsync(new ProcessSpec("bash", ["-c", "head -c 200000 /dev/zero | tr '\\0' x; echo; printf tail"]), output, CancellationToken.None);

        var lines = output.Of(OutputStream.Stdout);
        Assert.Equal(200_000, lines.Take(lines.Count - 1).Sum(l => l.Length));
        Assert.All(lines, l => Assert.True(l.Length <= OutputLineReader.MaxLineBytes));
        Assert.Equal("tail", lines[^1]);
    }
}
