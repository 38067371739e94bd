using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.restore</c> (destructive: needs an approval by a second person, an admin): restore a backup of the
/// backup folder into its database, whole or some tables. Refused when the file's SHA-256 no
/// longer matches the one recorded at backup time.
/// </summary>
public sealed record PostgresRestoreParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Backup file name in the backup folder.")]
    string File,
    [property: Description("Only these tables (default everything in the backup).")]
    IReadOnlyList<string>? Tables = null);
