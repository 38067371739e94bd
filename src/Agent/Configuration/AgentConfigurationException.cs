namespace Ops.Agent.Configuration;

/// <summary>A configuration source given to the agent cannot be read (missing or malformed <c>--config</c> file).</summary>
internal sealed class AgentConfigurationException(string message, Exception? innerException = null)
    : Exception(message, innerException);
