namespace Ops.Agent.Tests.Native;

/// <summary>
/// A fact about the Native AOT agent binary (<see cref="NativeAgentPaths.Binary"/>). It runs when
/// the binary exists. When it does not, it still runs, and fails, under <c>./ops test</c>
/// (which publishes the binary first and sets <c>OPS_NATIVE_AGENT_REQUIRED=1</c>) and in CI
/// (<c>CI=true</c>); only a developer's plain <c>dotnet test</c> without <c>./ops publish-agent</c>
/// skips it, saying so.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NativeAgentFactAttribute : FactAttribute
{
    public NativeAgentFactAttribute()
    {
        if (!File.Exists(NativeAgentPaths.Binary) && !NativeAgentPaths.Required)
        {
            Skip = $"{NativeAgentPaths.Binary} is not built: run ./ops publish-agent (./ops test and CI build it and never skip this).";
        }
    }
}
