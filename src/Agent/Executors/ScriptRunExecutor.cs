using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Execution;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;
using Ops.Agent.Json;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>script.run</c> (seed 000's scraping pipeline <c>run_pipeline.py --format modern --days 3</c>,
/// seed 002's collector, seed 004's certbot): runs a script named in <c>Policy:Scripts</c> with its
/// typed arguments substituted into the argv template (<see cref="ScriptCommandBuilder"/>), through
/// <see cref="IProcessRunner"/>: no shell, its own process group, stdout/stderr as output. The
/// environment is minimal (<c>PATH</c>, <c>HOME</c>, <c>LANG</c>) plus the script's
/// <c>Environment</c>; the working directory is the script's (default: the program's directory).
/// The run is limited by the job's deadline and the script's <c>TimeoutSeconds</c>, whichever is
/// sooner (the latter fails the job with exit code 124). Exit code 0 = SUCCEEDED, else FAILED with
/// that exit code. Refused (FAILED, nothing runs) for an unknown script or invalid arguments.
/// Result <c>{script, exitCode, durationMs}</c> (durationMs: milliseconds, integer).
/// </summary>
internal sealed class ScriptRunExecutor(
    IOptions<PolicyOptions> policy,
    IOptions<AgentOptions> agent,
    IProcessRunner runner,
    TimeProvider timeProvider) : IOperationExecutor
{
    /// <summary>The <c>PATH</c> of a script unless its <c>Environment</c> sets one.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.ScriptRun.Name;

    /// <summary>The minimal environment of every script: <c>PATH</c>, <c>HOME</c> (the agent's, else /) and <c>LANG=C.UTF-8</c>, then the script's own variables.</summary>
    public static Dictionary<string, string> Environment(ScriptPolicy script)
    {
        ArgumentNullException.ThrowIfNull(script);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = DefaultPath,
            ["HOME"] = System.Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : "/",
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (key, value) in script.Environment)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (ScriptRunParameters)job.Parameters;
        if (!policy.Value.Scripts.TryGetValue(parameters.Script, out var script))
        {
            var known = policy.Value.Scripts.Count == 0 ? "none" : string.Join(", ", policy.Value.Scripts.Keys.Order(StringComparer.Ordinal));
            return ExecutorResult.Failure($"script '{parameters.Script}' is not allowed by this agent's policy (Policy:Scripts: {known})");
        }

        if (!ScriptCommandBuilder.TryBuild(parameters.Script, script, parameters.Arguments, out var command, out var error))
        {
            return ExecutorResult.Failure($"script '{parameters.Script}' refused: {error}");
        }

        var workingDirectory = script.WorkingDirectory
            ?? (Path.IsPathRooted(command!.Program) ? Path.GetDirectoryName(command.Program) : null)
            ?? agent.Value.StateDirectory;
        var spec = new ProcessSpec(command!.Program, command.Arguments)
        {
            WorkingDirectory = workingDirectory,
            Environment = Environment(script),
        };
        job.Output.System($"[ops-agent] script {parameters.Script}: {JsonSerializer.Serialize([command.Program, .. command.Arguments], AgentJsonContext.Default.StringArray)} in {workingDirectory}");

        using var timeout = script.TimeoutSeconds is { } seconds
            ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds), timeProvider)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = timeProvider.GetTimestamp();
        ProcessResult result;
        try
        {
            result = await runner.RunAsync(spec, job.Output, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var elapsed = (long)timeProvider.GetElapsedTime(started).TotalMilliseconds;
            return ExecutorResult.Failure(
                $"script '{parameters.Script}' timed out after {script.TimeoutSeconds} s (Policy:Scripts:{parameters.Script}:TimeoutSeconds); its processes were terminated",
                new ScriptResult(parameters.Script, 124, elapsed),
                124);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return ExecutorResult.Failure($"script '{parameters.Script}' cannot start: {ex.Message}");
        }

        var outcome = new ScriptResult(parameters.Script, result.ExitCode, (long)result.Duration.TotalMilliseconds);
        return result.ExitCode == 0
            ? ExecutorResult.Success(outcome)
            : ExecutorResult.Failure($"script '{parameters.Script}' exited with code {result.ExitCode.ToString(CultureInfo.InvariantCulture)}", outcome, result.ExitCode);
    }

    internal sealed record ScriptResult(string Script, int ExitCode, long DurationMs);
}
