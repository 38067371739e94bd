using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Ops.Agent.Archives;
using Ops.Agent.Executors;
using Ops.Agent.Identity;
using Ops.Agent.Jobs;
using Ops.Agent.Postgres;
using Ops.Agent.Services;

namespace Ops.Agent.Json;

/// <summary>
/// Source-generated JSON metadata for everything the agent writes or reads back: the identity
/// file, the archive and backup manifests, every executor's result (<c>result_json</c>) and the
/// script command line echoed in job output, and <see cref="JsonObject"/> for an executor that builds its result as a node. Same conventions as <c>OpsJson.Default</c>
/// (DESIGN.md §7: web defaults, camelCase, nulls written); no enum is serialised by the agent.
/// This context is the agent's only resolver, in the JIT build as in the Native AOT binary, so a
/// result type missing here fails the agent's tests instead of a published binary
/// (<c>AgentJsonContextTests</c> checks every record nested in an executor).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AgentIdentity))]
[JsonSerializable(typeof(ArchiveManifest))]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(AgentPingExecutor.PingResult), TypeInfoPropertyName = "AgentPingPingResult")]
[JsonSerializable(typeof(FileBackupExecutor.BackupResult), TypeInfoPropertyName = "FileBackupBackupResult")]
[JsonSerializable(typeof(FilesArchiveExecutor.ArchiveResult), TypeInfoPropertyName = "FilesArchiveArchiveResult")]
[JsonSerializable(typeof(FilesPruneExecutor.PrunedFile), TypeInfoPropertyName = "FilesPrunePrunedFile")]
[JsonSerializable(typeof(FilesPruneExecutor.PruneResult), TypeInfoPropertyName = "FilesPrunePruneResult")]
[JsonSerializable(typeof(FilesRestoreArchiveExecutor.RestoreResult), TypeInfoPropertyName = "FilesRestoreArchiveRestoreResult")]
[JsonSerializable(typeof(HostDiskExecutor.MountReport), TypeInfoPropertyName = "HostDiskMountReport")]
[JsonSerializable(typeof(HostDiskExecutor.DiskResult), TypeInfoPropertyName = "HostDiskDiskResult")]
[JsonSerializable(typeof(HostFactsExecutor.Facts), TypeInfoPropertyName = "HostFactsFacts")]
[JsonSerializable(typeof(HostStatsExecutor.Memory), TypeInfoPropertyName = "HostStatsMemory")]
[JsonSerializable(typeof(HostStatsExecutor.Swap), TypeInfoPropertyName = "HostStatsSwap")]
[JsonSerializable(typeof(HostStatsExecutor.Disk), TypeInfoPropertyName = "HostStatsDisk")]
[JsonSerializable(typeof(HostStatsExecutor.ProcessUsage), TypeInfoPropertyName = "HostStatsProcessUsage")]
[JsonSerializable(typeof(HostStatsExecutor.Stats), TypeInfoPropertyName = "HostStatsStats")]
[JsonSerializable(typeof(HttpCheckExecutor.Check), TypeInfoPropertyName = "HttpCheckCheck")]
[JsonSerializable(typeof(HttpCheckExecutor.CheckResult), TypeInfoPropertyName = "HttpCheckCheckResult")]
[JsonSerializable(typeof(HttpRequestExecutor.Check), TypeInfoPropertyName = "HttpRequestCheck")]
[JsonSerializable(typeof(HttpRequestExecutor.RequestResult), TypeInfoPropertyName = "HttpRequestRequestResult")]
[JsonSerializable(typeof(LogsTailExecutor.TailResult), TypeInfoPropertyName = "LogsTailTailResult")]
[JsonSerializable(typeof(QueueCheckExecutor.Check), TypeInfoPropertyName = "QueueCheckCheck")]
[JsonSerializable(typeof(QueueCheckExecutor.QueueResult), TypeInfoPropertyName = "QueueCheckQueueResult")]
[JsonSerializable(typeof(RedisCheckExecutor.Check), TypeInfoPropertyName = "RedisCheckCheck")]
[JsonSerializable(typeof(RedisCheckExecutor.MemoryUsage), TypeInfoPropertyName = "RedisCheckMemoryUsage")]
[JsonSerializable(typeof(RedisCheckExecutor.KeyCount), TypeInfoPropertyName = "RedisCheckKeyCount")]
[JsonSerializable(typeof(RedisCheckExecutor.ListLength), TypeInfoPropertyName = "RedisCheckListLength")]
[JsonSerializable(typeof(RedisCheckExecutor.CheckResult), TypeInfoPropertyName = "RedisCheckCheckResult")]
[JsonSerializable(typeof(ScriptRunExecutor.ScriptResult), TypeInfoPropertyName = "ScriptRunScriptResult")]
[JsonSerializable(typeof(TlsCheckExecutor.TlsResult), TypeInfoPropertyName = "TlsCheckTlsResult")]
[JsonSerializable(typeof(ServiceRestartExecutor.RestartResult), TypeInfoPropertyName = "ServiceRestartRestartResult")]
[JsonSerializable(typeof(ServiceStatusExecutor.StatusResult), TypeInfoPropertyName = "ServiceStatusStatusResult")]
[JsonSerializable(typeof(PostgresBackupExecutor.BackupResult), TypeInfoPropertyName = "PostgresBackupBackupResult")]
[JsonSerializable(typeof(PostgresCheckExecutor.Expectation), TypeInfoPropertyName = "PostgresCheckExpectation")]
[JsonSerializable(typeof(PostgresCheckExecutor.CheckResult), TypeInfoPropertyName = "PostgresCheckCheckResult")]
[JsonSerializable(typeof(PostgresPurgeExecutor.PurgeResult), TypeInfoPropertyName = "PostgresPurgePurgeResult")]
[JsonSerializable(typeof(PostgresReindexExecutor.ReindexResult), TypeInfoPropertyName = "PostgresReindexReindexResult")]
[JsonSerializable(typeof(PostgresRestoreExecutor.RestoreResult), TypeInfoPropertyName = "PostgresRestoreRestoreResult")]
[JsonSerializable(typeof(PostgresStatsExecutor.SizeStats), TypeInfoPropertyName = "PostgresStatsSizeStats")]
[JsonSerializable(typeof(PostgresStatsExecutor.ConnectionStats), TypeInfoPropertyName = "PostgresStatsConnectionStats")]
[JsonSerializable(typeof(PostgresStatsExecutor.TableStats), TypeInfoPropertyName = "PostgresStatsTableStats")]
[JsonSerializable(typeof(PostgresStatsExecutor.SlowQuery), TypeInfoPropertyName = "PostgresStatsSlowQuery")]
[JsonSerializable(typeof(PostgresStatsExecutor.SlowQueryStats), TypeInfoPropertyName = "PostgresStatsSlowQueryStats")]
[JsonSerializable(typeof(PostgresStatsExecutor.ReplicaStats), TypeInfoPropertyName = "PostgresStatsReplicaStats")]
[JsonSerializable(typeof(PostgresStatsExecutor.ReplicationStats), TypeInfoPropertyName = "PostgresStatsReplicationStats")]
[JsonSerializable(typeof(PostgresStatsExecutor.StatsResult), TypeInfoPropertyName = "PostgresStatsStatsResult")]
[JsonSerializable(typeof(PostgresVacuumExecutor.TableVacuum), TypeInfoPropertyName = "PostgresVacuumTableVacuum")]
[JsonSerializable(typeof(PostgresVacuumExecutor.VacuumResult), TypeInfoPropertyName = "PostgresVacuumVacuumResult")]
[JsonSerializable(typeof(PostgresVerifyBackupExecutor.TableCount), TypeInfoPropertyName = "PostgresVerifyBackupTableCount")]
[JsonSerializable(typeof(PostgresVerifyBackupExecutor.VerifyResult), TypeInfoPropertyName = "PostgresVerifyBackupVerifyResult")]
[JsonSerializable(typeof(JobRunner.ResultOmitted), TypeInfoPropertyName = "JobRunnerResultOmitted")]
[JsonSerializable(typeof(IReadOnlyList<HttpCheckExecutor.Check>), TypeInfoPropertyName = "HttpCheckChecks")]
[JsonSerializable(typeof(IReadOnlyList<HttpRequestExecutor.Check>), TypeInfoPropertyName = "HttpRequestChecks")]
[JsonSerializable(typeof(IReadOnlyList<QueueCheckExecutor.Check>), TypeInfoPropertyName = "QueueCheckChecks")]
[JsonSerializable(typeof(IReadOnlyList<RedisCheckExecutor.Check>), TypeInfoPropertyName = "RedisCheckChecks")]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
