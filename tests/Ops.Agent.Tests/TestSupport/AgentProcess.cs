using System.Diagnostics;
using System.Text;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>The real agent process: <c>dotnet Ops.Agent.dll --config &lt;file&gt;</c>, or the native binary.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private AgentProcess(Process process)
    {
        this.process = process;
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The agent built next to this test assembly's configuration (Debug or Release).</summary>
    public static string AgentDll
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Ops.sln")))
            {
                directory = directory.Parent;
            }

            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(directory!.FullName, "src", "Agent", "bin", configuration, "net10.0", "Ops.Agent.dll");
        }
    }

    public static AgentProcess Start(string configPath, params string[] extraArgs) =>
        Start("dotnet", [AgentDll], configPath, new Dictionary<string, string>(), extraArgs);

    /// <summary>The native binary (<c>dist/ops-agent-linux-x64</c>) with <paramref name="environment"/> added.</summary>
    public static AgentProcess StartNative(string binary, string configPath, IReadOnlyDictionary<string, string> environment) =>
        Start(binary, [], configPath, environment, []);

    private static AgentProcess Start(string program, string[] programArgs, string configPath, IReadOnlyDictionary<string, string> environment, string[] extraArgs)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in programArgs)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configPath);
        foreach (var arg in extraArgs)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var agent = new AgentProcess(process);
        process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public void SendSigterm()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Eventually.Generous);
        await process.WaitForExitAsync(timeout.Token);
        process.WaitForExit();
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
