using System.Globalization;
using Ops.Agent.Execution;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Jobs;

/// <summary><c>script.run</c> through the real agent and real processes, under a test policy.</summary>
public sealed class ScriptRunTests : IAsyncLifetime
{
    private readonly string work = Directory.CreateTempSubdirectory("ops-script-").FullName;
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync() => controlPlane = await FakeControlPlane.StartAsync();

    public async Task DisposeAsync()
    {
        await controlPlane.DisposeAsync();
        Directory.Delete(work, recursive: true);
    }

    /// <summary>A policy with script.run enabled and a few scripts.</summary>
    public static Dictionary<string, string?> Policy(string work) => new()
    {
        ["Agent:EnabledKinds:0"] = "agent.ping",
        ["Agent:EnabledKinds:1"] = "script.run",
        ["Policy:Secrets:0"] = "literal-secret-value",
        ["Policy:Scripts:demo.pipeline:Argv:0"] = "/bin/bash",
        ["Policy:Scripts:demo.pipeline:Argv:1"] = "-c",
        ["Policy:Scripts:demo.pipeline:Argv:2"] = "echo \"args: $*\"; echo \"cwd: $PWD\"; echo \"env: APP_ENV=$APP_ENV pw=$DB_PASSWORD leak=${OPS_LEAK_TEST:-none}\"; echo literal-secret-value; exit ${EXIT:-0}",
        ["Policy:Scripts:demo.pipeline:Argv:3"] = "pipeline",
        ["Policy:Scripts:demo.pipeline:Argv:4"] = "--format",
        ["Policy:Scripts:demo.pipeline:Argv:5"] = "{format}",
        ["Policy:Scripts:demo.pipeline:Argv:6"] = "--days",
        ["Policy:Scripts:demo.pipeline:Argv:7"] = "{days}",
        ["Policy:Scripts:demo.pipeline:Argv:8"] = "{debug}",
        ["Policy:Scripts:demo.pipeline:WorkingDirectory"] = work,
        ["Policy:Scripts:demo.pipeline:Environment:APP_ENV"] = "prod",
        ["Policy:Scripts:demo.pipeline:Environment:DB_PASSWORD"] = "pw-in-env-123",
        ["Policy:Scripts:demo.pipeline:Arguments:format:Type"] = "enum",
        ["Policy:Scripts:demo.pipeline:Arguments:format:Values:0"] = "modern",
        ["Policy:Scripts:demo.pipeline:Arguments:format:Values:1"] = "standard",
        ["Policy:Scripts:demo.pipeline:Arguments:format:Values:2"] = "all",
        ["Policy:Scripts:demo.pipeline:Arguments:format:Required"] = "true",
        ["Policy:Scripts:demo.pipeline:Arguments:days:Type"] = "integer",
        ["Policy:Scripts:demo.pipeline:Arguments:days:Min"] = "1",
        ["Policy:Scripts:demo.pipeline:Arguments:days:Max"] = "30",
        ["Policy:Scripts:demo.pipeline:Arguments:debug:Type"] = "flag",
        ["Policy:Scripts:demo.pipeline:Arguments:debug:Flag"] = "--debug",
        ["Policy:Scripts:echo:Argv:0"] = "/usr/bin/printf",
        ["Policy:Scripts:echo:Argv:1"] = "%s\\n",
        ["Policy:Scripts:echo:Argv:2"] = "{text}",
        ["Policy:Scripts:echo:Arguments:text:Type"] = "pattern",
        ["Policy:Scripts:echo:Arguments:text:Pattern"] = "^.{1,500}$",
        ["Policy:Scripts:fails:Argv:0"] = "/bin/bash",
        ["Policy:Scripts:fails:Argv:1"] = "-c",
        ["Policy:Scripts:fails:Argv:2"] = "echo failing >&2; exit 3",
        ["Policy:Scripts:tree:Argv:0"] = "/bin/bash",
        ["Policy:Scripts:tree:Argv:1"] = "-c",
        ["Policy:Scripts:tree:Argv:2"] = "sleep 1000 & echo \"pid $!\"; bash -c 'sleep 1000 & echo \"pid $!\"; wait' & echo \"pid $!\"; echo ready; wait",
        ["Policy:Scripts:slow:Argv:0"] = "/bin/sleep",
        ["Policy:Scripts:slow:Argv:1"] = "1000",
        ["Policy:Scripts:slow:TimeoutSeconds"] = "1",
        ["Policy:Scripts:flood:Argv:0"] = "/bin/bash",
        ["Policy:Scripts:flood:Argv:1"] = "-c",
        ["Policy:Scripts:flood:Argv:2"] = "echo FIRST-LINE; yes | head -c 200000000; echo; echo LAST-LINE",
    };

    [Fact]
    public async Task Script_RunsWithTypedArgv_MinimalEnvironment_AndRedactedOutput()
    {
        Environment.SetEnvironmentVariable("OPS_LEAK_TEST", "leaked");
        await using var agent = AgentHarness.Start(controlPlane, Policy(work));
        var job = Assignments.Create("script.run", """{"script": "demo.pipeline", "arguments": {"format": "modern", "days": 3, "debug": true}}""");
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Succeeded, complete.Outcome);
        Assert.Equal(0, complete.ExitCode);
        var stdout = Output(job, OutputStream.Stdout);
        Assert.Contains("args: --format modern --days 3 --debug\n", stdout, StringComparison.Ordinal);
        Assert.Contains($"cwd: {work}\n", stdout, StringComparison.Ordinal);
        Assert.Contains("env: APP_ENV=prod pw=[REDACTED] leak=none\n", stdout, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]\n", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("literal-secret-value", stdout, StringComparison.Ordinal);
        Assert.StartsWith("""{"script":"demo.pipeline","exitCode":0,"durationMs":""", complete.ResultJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_AbsentOptionalArgument_DropsItsOption_NonZeroExitFails()
    {
        await using var agent = AgentHarness.Start(controlPlane, Policy(work));
        var ok = Assignments.Create("script.run", """{"script": "demo.pipeline", "arguments": {"format": "all"}}""");
        var failing = Assignments.Create("script.run", """{"script": "fails"}""");
        controlPlane.Enqueue(ok);
        controlPlane.Enqueue(failing);

        Assert.Contains("args: --format all\n", Output(ok, OutputStream.Stdout, await CompletionOf(ok)), StringComparison.Ordinal);
        var complete = await CompletionOf(failing);
        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.Equal(3, complete.ExitCode);
        Assert.Equal("script 'fails' exited with code 3", complete.Error);
        Assert.Contains("failing", Output(failing, OutputStream.Stderr), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"script": "nope"}""", "script 'nope' is not allowed by this agent's policy (Policy:Scripts: demo.pipeline, echo, fails, flood, slow, tree)")]
    [InlineData("""{"script": "demo.pipeline", "arguments": {"format": "vintage"}}""", "script 'demo.pipeline' refused: argument 'format' must be one of modern, standard, all (was 'vintage')")]
    [InlineData("""{"script": "demo.pipeline", "arguments": {"format": "modern", "days": 99}}""", "script 'demo.pipeline' refused: argument 'days' must be an integer between 1 and 30 (was '99')")]
    [InlineData("""{"script": "demo.pipeline", "arguments": {"format": "modern", "cmd": "id"}}""", "script 'demo.pipeline' refused: script 'demo.pipeline' has no argument 'cmd' (known: days, debug, format)")]
    public async Task Script_Refusals_FailTheJobWithoutRunningAnything(string parameters, string error)
    {
        await using var agent = AgentHarness.Start(controlPlane, Policy(work));
        var job = Assignments.Create("script.run", parameters);
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.Equal(error, complete.Error);
        Assert.DoesNotContain(controlPlane.Requests<AppendOutputRequest>(), o => o.JobId == job.JobId && o.Chunks.Any(c => c.Stream != OutputStream.System));
    }

    [Fact]
    public async Task Script_ShellMetacharacters_ArePassedVerbatimAsData()
    {
        var marker = Path.Combine(work, "pwned");
        var text = $"x; touch {marker} && echo $(id) `id` | cat > {marker} & $HOME * ?";
        await using var agent = AgentHarness.Start(controlPlane, Policy(work));
        var job = Assignments.Create("script.run", System.Text.Json.JsonSerializer.Serialize(new { script = "echo", arguments = new { text } }));
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Succeeded, complete.Outcome);
        Assert.Equal(text + "\n", Output(job, OutputStream.Stdout));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Script_CancelledByTheControlPlane_LeavesNoProcessBehind()
    {
        await using var agent = AgentHarness.Start(controlPlane, Policy(work));
        var job = Assignments.Create("script.run", """{"script": "tree"}""");
        controlPlane.Enqueue(job);
        await Eventually.TrueAsync(() => Output(job, OutputStream.Stdout).Contains("ready\n", StringComparison.Ordinal), "the script's children");
        var pids = Output(job, OutputStream.Stdout).Split('\n').Where(l => l.StartsWith("pid ", StringComparison.Ordinal))
            .Select(l => int.Parse(l[4..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, pids.Count);
        Assert.All(pids, pid => Assert.True(ProcessSignals.IsAlive(pid)));

        controlPlane.Cancel(job.JobId);

        var complete = await CompletionOf(job);
        Assert.Equal(JobOutcome.Cancelled, complete.Outcome);
        await Eventually.TrueAsync(() => pids.All(pid => !ProcessSignals.IsAlive(pid)), "no descendant left");
    }

    [Fact]
    public async Task Script_PastItsTimeoutSeconds_IsKilledAndFailsWith124()
    {
        await using var agent = AgentHarness.Start(controlPlane, Policy(work));
        var job = Assignments.Create("script.run", """{"script": "slow"}""");
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal(JobOutcome.Failed, complete.Outcome);
        Assert.Equal(124, complete.ExitCode);
        Assert.Contains("timed out after 1 s (Policy:Scripts:slow:TimeoutSeconds)", complete.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Script_NotEnabled_IsRefusedAndNotACapability()
    {
        var settings = Policy(work);
        settings.Remove("Agent:EnabledKinds:1");
        await using var agent = AgentHarness.Start(controlPlane, settings);
        var job = Assignments.Create("script.run", """{"script": "echo", "arguments": {"text": "hi"}}""");
        controlPlane.Enqueue(job);

        var complete = await CompletionOf(job);

        Assert.Equal("kind 'script.run' is not enabled by this agent's policy", complete.Error);
        Assert.Equal(["agent.ping"], controlPlane.Requests<EnrollRequest>().Single().Capabilities);
    }

    private Task<CompleteRequest> CompletionOf(JobAssignment job) =>
        Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), $"Complete of {job.JobId}");

    private string Output(JobAssignment job, OutputStream stream, CompleteRequest? _ = null) => string.Concat(controlPlane.Requests<AppendOutputRequest>()
        .Where(o => o.JobId == job.JobId).SelectMany(o => o.Chunks).Where(c => c.Stream == stream).OrderBy(c => c.Seq).Select(c => c.Data.ToStringUtf8()));
}
