namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// The embedded PostgreSQL cluster could not be prepared, started or stopped. The message says
/// what to do (install the server packages, open a folder to the <c>postgres</c> user, read the
/// server log at a given path).
/// </summary>
public sealed class EmbeddedPostgresException(string message, Exception? inner = null) : Exception(message, inner);
