using Microsoft.Extensions.Logging;

namespace Ops.Agent.Execution;

/// <summary>Log messages of the process runner (event ids 1400–1449).</summary>
internal static partial class ExecutionLog
{
    [LoggerMessage(1400, LogLevel.Debug, "Process {Pid} started: {Program} with {ArgumentCount} arguments")]
    public static partial void Started(ILogger logger, int pid, string program, int argumentCount);

    [LoggerMessage(1401, LogLevel.Debug, "Process {Pid} exited with code {ExitCode} after {DurationMs} ms")]
    public static partial void Exited(ILogger logger, int pid, int exitCode, double durationMs);

    [LoggerMessage(1402, LogLevel.Information, "Process {Pid} cancelled: its process group was terminated after {DurationMs} ms")]
    public static partial void Cancelled(ILogger logger, int pid, double durationMs);

    [LoggerMessage(1403, LogLevel.Warning, "Process {Pid} ignored SIGTERM for {GraceMs} ms: sending SIGKILL to its process group")]
    public static partial void KillAfterGrace(ILogger logger, int pid, double graceMs);

    [LoggerMessage(1404, LogLevel.Information, "Process {Pid} exited but left processes in its group: terminating them")]
    public static partial void Leftovers(ILogger logger, int pid);

    [LoggerMessage(1405, LogLevel.Warning, "Process {Pid}: output still open after the process group ended (an escaped daemon?); stopped reading")]
    public static partial void OutputAbandoned(ILogger logger, int pid);

    [LoggerMessage(1406, LogLevel.Warning, "Process {Pid}: reading output failed: {Error}")]
    public static partial void OutputFailed(ILogger logger, int pid, string error);

    [LoggerMessage(1407, LogLevel.Debug, "Process {Pid}: writing stdin failed: {Error}")]
    public static partial void InputFailed(ILogger logger, int pid, string error);
}
