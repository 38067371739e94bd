namespace Ops.Agent.Services;

/// <summary>
/// The service policy does not allow or cannot describe what a job asks (unknown service, no
/// manager, invalid key); the message names the key (<c>Policy:Services:Allowed</c>).
/// </summary>
internal sealed class ServicePolicyException(string message) : Exception(message);
