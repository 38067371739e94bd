using System.Globalization;
using System.Text;
using Ops.Agent.Execution;
using Ops.Agent.Executors;

namespace Ops.Agent.Services;

/// <summary>Runs <c>docker</c> or <c>systemctl</c> with the policy's environment (PATH from <c>Policy:Services:SearchPath</c>).</summary>
/// <param name="processRunner">The agent's process runner.</param>
/// <param name="program">The program name, found on the environment's PATH.</param>
/// <param name="environment">The tool's whole environment.</param>
internal sealed class ServiceTool(IProcessRunner processRunner, string program, IReadOnlyDictionary<string, string> environment)
{
    /// <summary>Runs the tool, its stdout and stderr into the job output.</summary>
    /// <exception cref="ServiceToolException">The program cannot be started.</exception>
    public async Task<int> RunAsync(IReadOnlyList<string> arguments, IJobOutput output, CancellationToken cancellationToken)
    {
        try
        {
            return (await processRunner.RunAsync(Spec(arguments, null), output, cancellationToken)).ExitCode;
        }
        catch (FileNotFoundException ex)
        {
            throw new ServiceToolException($"cannot run {program}: {ex.Message}", ex);
        }
    }

    /// <summary>Runs the tool and returns its stdout (stderr into the job output).</summary>
    /// <exception cref="ServiceToolException">Non-zero exit, or the program cannot be started.</exception>
    public async Task<string> CaptureAsync(IReadOnlyList<string> arguments, IJobOutput output, CancellationToken cancellationToken)
    {
        using var stdout = new MemoryStream();
        ProcessResult result;
        try
        {
            result = await processRunner.RunAsync(Spec(arguments, stdout), output, cancellationToken);
        }
        catch (FileNotFoundException ex)
        {
            throw new ServiceToolException($"cannot run {program}: {ex.Message}", ex);
        }

        return result.ExitCode == 0
            ? Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length)
            : throw new ServiceToolException($"{program} {string.Join(' ', arguments)} failed with exit code {result.ExitCode.ToString(CultureInfo.InvariantCulture)} (its messages are in the output).");
    }

    private ProcessSpec Spec(IReadOnlyList<string> arguments, Stream? stdout) =>
        new(program, arguments) { Environment = environment, StandardOutputTarget = stdout, WorkingDirectory = "/" };
}
