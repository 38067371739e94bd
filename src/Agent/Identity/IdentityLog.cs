using Microsoft.Extensions.Logging;

namespace Ops.Agent.Identity;

/// <summary>Log messages of enrollment and the identity store (event ids 1100–1199).</summary>
internal static partial class IdentityLog
{
    [LoggerMessage(1100, LogLevel.Information, "Created the state directory {Directory} (mode 0700)")]
    public static partial void StateDirectoryCreated(ILogger logger, string directory);

    [LoggerMessage(1101, LogLevel.Warning, "The identity file {Path} has mode {Mode}; it holds a secret and should be 0600")]
    public static partial void LooseFileMode(ILogger logger, string path, string mode);

    [LoggerMessage(1102, LogLevel.Information, "No identity in {Path}: enrolling {Hostname} with {ControlPlaneUrl}")]
    public static partial void Enrolling(ILogger logger, string path, string hostname, string controlPlaneUrl);

    [LoggerMessage(1103, LogLevel.Information, "Enrolled as agent {AgentId}; identity stored in {Path}")]
    public static partial void Enrolled(ILogger logger, string agentId, string path);

    [LoggerMessage(1104, LogLevel.Information, "Using the stored identity of agent {AgentId} from {Path}")]
    public static partial void IdentityLoaded(ILogger logger, string agentId, string path);

    [LoggerMessage(1105, LogLevel.Warning, "The stored identity was issued by {IdentityUrl} but Agent:ControlPlaneUrl is {ConfiguredUrl}; using the configured URL")]
    public static partial void ControlPlaneUrlChanged(ILogger logger, string identityUrl, string configuredUrl);

    [LoggerMessage(1106, LogLevel.Information, "An identity already exists; Agent:EnrollmentToken is ignored and can be removed from the configuration")]
    public static partial void EnrollmentTokenIgnored(ILogger logger);
}
