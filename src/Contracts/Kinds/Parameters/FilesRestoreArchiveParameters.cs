using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>files.restore-archive</c>: seed 003 "Restauration d'un volume". Extracts an
/// archive of the agent's archive folder, after checking its SHA-256 against its manifest, into a
/// new or empty directory under the agent's write paths; entries that would land outside it
/// (<c>../</c>, absolute names, links pointing out) refuse the whole archive before anything is
/// written. Destructive: it needs an approval.
/// </summary>
public sealed record FilesRestoreArchiveParameters(
    [property: Description("Archive file name in the agent's archive folder, as files.archive returned it (no folder).")]
    string File,
    [property: Description("Absolute directory to restore into: new, or empty, under the agent's allowed write paths.")]
    string Path);
