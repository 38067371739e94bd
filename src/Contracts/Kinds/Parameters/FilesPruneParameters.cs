using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>files.prune</c>: delete files of one folder matching a name pattern and older
/// than N days — seed 000's <c>find -mtime +7 -delete</c> and log clean-ups. Not recursive.
/// <paramref name="DryRun"/> lists without deleting.
/// </summary>
public sealed record FilesPruneParameters(
    [property: Description("Absolute folder, under the agent's allowed paths (not recursive).")]
    string Directory,
    [property: Description("File-name glob with * and ?, e.g. *.log.gz (no '/').")]
    string Pattern,
    [property: Description("Only files last modified more than this many days ago.")]
    int OlderThanDays,
    [property: Description("List what would be deleted without deleting.")]
    bool? DryRun = null);
