using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>files.archive</c>: seed 003 "Sauvegarde des volumes"
/// (<c>tar czvf pgdata-$(date).tar.gz /source</c>) and its monthly copies of configuration files.
/// Writes <c>&lt;name&gt;_&lt;yyyyMMdd_HHmmss&gt;.tar.gz</c> (UTC) into the agent's archive folder
/// (<c>Policy:Archives:Directory</c>) under a temporary name, renames it when complete and writes
/// a SHA-256 manifest beside it. The result names the file with its size, entry count, SHA-256 and
/// the old archives removed by <paramref name="RetentionDays"/>.
/// </summary>
public sealed record FilesArchiveParameters(
    [property: Description("Absolute directory to archive, under the agent's allowed paths (read or write).")]
    string Path,
    [property: Description("Archive name prefix (letters, digits, '_', '.', '-'); default: the directory's name.")]
    string? Name = null,
    [property: Description("Afterwards, delete this name's archives older than this many days.")]
    int? RetentionDays = null,
    [property: Description("Globs of paths to leave out, relative to the directory: * and ? within a name, ** across folders (e.g. *.log, cache/**).")]
    IReadOnlyList<string>? Exclude = null);
