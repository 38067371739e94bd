using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>postgres.verify-backup</c>: restore a backup into a scratch database, count
/// tables and rows of the policy's listed tables, drop the scratch database — seed 004's weekly
/// restore test.
/// </summary>
public sealed record PostgresVerifyBackupParameters(
    [property: Description("Name of a database in the agent's policy.")]
    string Database,
    [property: Description("Backup file name in the backup folder; default the latest of this database.")]
    string? File = null);
