namespace Ops.Agent.Tests.Native;

/// <summary>Where the native agent and the control plane's build are, from the repository root.</summary>
public static class NativeAgentPaths
{
    /// <summary>The repository root (the folder holding Ops.sln) above this test assembly.</summary>
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Ops.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Ops.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary><c>dist/ops-agent-linux-x64</c>, written by <c>./ops publish-agent</c>.</summary>
    public static string Binary => Path.Combine(Root, "dist", "ops-agent-linux-x64");

    /// <summary>The control plane built by the solution build, in this test assembly's configuration.</summary>
    public static string ControlPlaneDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(Root, "src", "ControlPlane", "bin", configuration, "net10.0", "Ops.ControlPlane.dll");
        }
    }

    /// <summary>True under <c>./ops test</c> and in CI: a missing binary is a failure, not a skip.</summary>
    public static bool Required =>
        Environment.GetEnvironmentVariable("OPS_NATIVE_AGENT_REQUIRED") == "1"
        || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
