namespace Ops.Agent.Archives;

/// <summary>An archive cannot be used: missing, without manifest, changed since it was written, or with an entry that escapes its destination.</summary>
internal sealed class ArchiveRefusedException(string message) : Exception(message);
