namespace Ops.Agent.Services;

/// <summary>docker or systemctl failed (non-zero exit, missing program) or printed output that cannot be parsed; the message says which.</summary>
internal sealed class ServiceToolException(string message, Exception? inner = null) : Exception(message, inner);
