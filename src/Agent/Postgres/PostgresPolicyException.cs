namespace Ops.Agent.Postgres;

/// <summary>
/// The local policy does not allow, or cannot describe, what a job asks: an unknown database,
/// check or rule, or an invalid key. The message names the configuration key
/// (<c>database 'x' is not in this agent's policy (Postgres:Databases)</c>); the job fails with it.
/// </summary>
internal sealed class PostgresPolicyException(string message) : Exception(message);
