using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Ops.Contracts.Tests.Grpc.Interop;

/// <summary>
/// Locates the repository, tests/interop and the node executable, and runs node scripts.
/// The repository root is the first ancestor of <see cref="AppContext.BaseDirectory"/> containing Ops.sln;
/// node is <c>$OPS_NODE</c> if set, else the first <c>node</c> on PATH; tests/interop/node_modules must
/// exist (the tests fail, never skip, when it does not: run <c>npm ci</c> in tests/interop).
/// </summary>
internal static class NodeInterop
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string InteropDirectory => Path.Combine(RepositoryRoot, "tests", "interop");

    /// <summary>Throws with an actionable message when node or the npm packages are missing.</summary>
    public static string EnsureReady()
    {
        var modules = Path.Combine(InteropDirectory, "node_modules", "@grpc", "grpc-js");
        if (!Directory.Exists(modules) || !Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@grpc", "proto-loader")))
        {
            throw new InvalidOperationException(
                $"{Path.Combine(InteropDirectory, "node_modules")} is missing @grpc/grpc-js or @grpc/proto-loader: run npm ci in tests/interop (./ops test does this).");
        }

        return FindNode();
    }

    public static ProcessStartInfo StartInfo(string script, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(EnsureReady())
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Path.Combine(InteropDirectory, script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>Runs <c>node agent_client.js ...</c> and returns its one-line JSON result.</summary>
    public static async Task<JsonElement> RunAgentClientAsync(params string[] arguments)
    {
        using var process = Process.Start(StartInfo("agent_client.js", arguments))
            ?? throw new InvalidOperationException("could not start node");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = (await stdout).Trim();
        if (process.ExitCode != 0 || output.Length == 0)
        {
            throw new InvalidOperationException($"agent_client.js exited with {process.ExitCode}: {output} {await stderr}");
        }

        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ops.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Ops.sln above {AppContext.BaseDirectory}.");
    }

    private static string FindNode()
    {
        var configured = Environment.GetEnvironmentVariable("OPS_NODE");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"OPS_NODE={configured} does not exist.");
        }

        var names = OperatingSystem.IsWindows() ? new[] { "node.exe" } : ["node"];
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException("node was not found on PATH (or set OPS_NODE): install Node.js >= 18 to run the gRPC interop tests.");
    }
}
