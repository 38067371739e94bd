namespace Ops.Chaos;

/// <summary>Where the built control plane and agent are: the repository holding <c>Ops.sln</c> above this assembly, same configuration.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string Configuration => AppContext.BaseDirectory.Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    public static string ControlPlaneDll => Path.Combine(Root, "src", "ControlPlane", "bin", Configuration, "net10.0", "Ops.ControlPlane.dll");

    public static string AgentDll => Path.Combine(Root, "src", "Agent", "bin", Configuration, "net10.0", "Ops.Agent.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ops.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Ops.sln above {AppContext.BaseDirectory}");
    }
}
