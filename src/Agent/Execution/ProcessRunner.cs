using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Ops.Agent.Executors;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Execution;

/// <summary>
/// The <see cref="IProcessRunner"/> of the agent. The program starts through
/// <c>setsid --wait</c> (util-linux), which calls <c>setsid(2)</c> and then execs the program in
/// place: its pid is also its process-group id, and every child it forks stays in that group
/// unless it creates a session of its own. Cancellation sends SIGTERM to the group and to every
/// descendant found in <c>/proc</c>, waits <see cref="ProcessSpec.KillGrace"/> for the program to
/// exit, then sends SIGKILL to the same set and throws <see cref="OperationCanceledException"/>.
/// When the program exits by itself, what it left in its group gets SIGTERM, then SIGKILL after
/// one second (like systemd's <c>KillMode=control-group</c>). Output pipes are drained up to
/// <see cref="DrainTimeout"/> after the end, then abandoned (a daemon that escaped keeps them open).
/// </summary>
internal sealed class ProcessRunner(TimeProvider timeProvider, ILogger<ProcessRunner> logger) : IProcessRunner
{
    /// <summary>The session leader helper: <c>setsid(1)</c> from util-linux.</summary>
    public const string SetsidPath = "/usr/bin/setsid";

    /// <summary>How long output is still read after the process group was killed.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(output);
        cancellationToken.ThrowIfCancellationRequested();

        var program = ResolveProgram(spec);
        if (spec.WorkingDirectory is { } directory && !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"working directory '{directory}' does not exist");
        }

        var startInfo = new ProcessStartInfo(File.Exists(SetsidPath) ? SetsidPath : "setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
        };
        startInfo.ArgumentList.Add("--wait");
        startInfo.ArgumentList.Add(program);
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (spec.Environment is { } environment)
        {
            startInfo.Environment.Clear();
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        using var process = new Process { StartInfo = startInfo };
        var started = timeProvider.GetTimestamp();
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new FileNotFoundException($"cannot start '{program}': {ex.Message}", program, ex);
        }

        var pid = process.Id;
        ExecutionLog.Started(logger, pid, program, spec.Arguments.Count);

        using var drain = new CancellationTokenSource();
        var stdout = spec.StandardOutputTarget is { } target
            ? process.StandardOutput.BaseStream.CopyToAsync(target, 81_920, drain.Token)
            : OutputLineReader.CopyAsync(process.StandardOutput.BaseStream, OutputStream.Stdout, output, drain.Token);
        var stderr = OutputLineReader.CopyAsync(process.StandardError.BaseStream, OutputStream.Stderr, output, drain.Token);
        var stdin = WriteInputAsync(process, spec, cancellationToken);

        var cancelled = false;
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            await TerminateTreeAsync(process, pid, spec.KillGrace).ConfigureAwait(false);
        }

        if (!cancelled)
        {
            await KillLeftoversAsync(pid).ConfigureAwait(false);
        }

        using var drainTimer = new CancellationTokenSource(DrainTimeout, timeProvider);
        using var drainAfterTimeout = drainTimer.Token.Register(drain.Cancel);
        try
        {
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested)
        {
            ExecutionLog.OutputAbandoned(logger, pid);
        }
        catch (IOException ex)
        {
            ExecutionLog.OutputFailed(logger, pid, ex.Message);
        }

        await ObserveInputAsync(stdin, pid).ConfigureAwait(false);
        var duration = timeProvider.GetElapsedTime(started);
        if (cancelled)
        {
            ExecutionLog.Cancelled(logger, pid, duration.TotalMilliseconds);
            throw new OperationCanceledException("the process was cancelled", cancellationToken);
        }

        var exitCode = process.ExitCode;
        ExecutionLog.Exited(logger, pid, exitCode, duration.TotalMilliseconds);
        return new ProcessResult(exitCode, false, duration);
    }

    /// <summary>
    /// Finds the program like <c>execvp(3)</c> would, so a missing one is a clear error rather than
    /// setsid's exit code 1: a name with a '/' is taken as it is (relative to the working directory),
    /// any other name is searched on the <c>PATH</c> of the spec's environment (else the agent's).
    /// </summary>
    private static string ResolveProgram(ProcessSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.FileName))
        {
            throw new FileNotFoundException("no program given");
        }

        if (spec.FileName.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.IsPathRooted(spec.FileName)
                ? spec.FileName
                : Path.GetFullPath(spec.FileName, spec.WorkingDirectory ?? Environment.CurrentDirectory);
            return IsExecutable(path) ? spec.FileName : throw new FileNotFoundException($"program '{spec.FileName}' does not exist or is not executable", spec.FileName);
        }

        string? searchPath = null;
        if (spec.Environment is { } environment)
        {
            environment.TryGetValue("PATH", out searchPath);
        }

        searchPath ??= Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, spec.FileName);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"program '{spec.FileName}' was not found on PATH '{searchPath}'", spec.FileName);
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            return File.Exists(path)
                && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task WriteInputAsync(Process process, ProcessSpec spec, CancellationToken cancellationToken)
    {
        var stdin = process.StandardInput.BaseStream;
        try
        {
            if (spec.StandardInputWriter is { } writer)
            {
                await writer(stdin, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The program exited without reading its input.
            }
        }
    }

    private async Task ObserveInputAsync(Task stdin, int pid)
    {
        try
        {
            await stdin.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            ExecutionLog.InputFailed(logger, pid, ex.Message);
        }
    }

    /// <summary>SIGTERM to the group and the descendants, grace, SIGKILL to the same set.</summary>
    private async Task TerminateTreeAsync(Process process, int pid, TimeSpan grace)
    {
        var tree = new HashSet<int>(ProcessSignals.Descendants(pid)) { pid };
        ProcessSignals.SignalGroup(pid, ProcessSignals.SigTerm);
        foreach (var member in tree)
        {
            ProcessSignals.Signal(member, ProcessSignals.SigTerm);
        }

        using (var graceTimer = new CancellationTokenSource(grace, timeProvider))
        {
            try
            {
                await process.WaitForExitAsync(graceTimer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ExecutionLog.KillAfterGrace(logger, pid, grace.TotalMilliseconds);
            }
        }

        tree.UnionWith(ProcessSignals.Descendants(pid));
        ProcessSignals.SignalGroup(pid, ProcessSignals.SigKill);
        foreach (var member in tree)
        {
            ProcessSignals.Signal(member, ProcessSignals.SigKill);
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>After a normal exit: SIGTERM to whatever stayed in the group, SIGKILL a second later.</summary>
    private async Task KillLeftoversAsync(int pid)
    {
        if (!ProcessSignals.SignalGroup(pid, ProcessSignals.SigTerm))
        {
            return;
        }

        ExecutionLog.Leftovers(logger, pid);
        await Task.Delay(LeftoverGrace, timeProvider).ConfigureAwait(false);
        ProcessSignals.SignalGroup(pid, ProcessSignals.SigKill);
    }
}
