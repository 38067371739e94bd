using System.Text.Json;
using System.Text.Json.Serialization;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Json;

/// <summary>
/// Source-generated metadata of every kind's parameter record, with the rules of
/// <c>OpsJson.Strict</c> (DESIGN.md §7): unknown members, numbers in strings, nulls for
/// non-nullable members and missing required constructor parameters are errors, so the agent
/// refuses exactly what the control plane refuses at submit time. Used through
/// <c>ParameterBinder.Bind(kind, parameters, context)</c>; a kind of
/// <c>OperationKindCatalog</c> missing here fails <c>AgentJsonContextTests</c>.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(AgentPingParameters))]
[JsonSerializable(typeof(FileBackupParameters))]
[JsonSerializable(typeof(FilesArchiveParameters))]
[JsonSerializable(typeof(FilesPruneParameters))]
[JsonSerializable(typeof(FilesRestoreArchiveParameters))]
[JsonSerializable(typeof(HostDiskParameters))]
[JsonSerializable(typeof(HostFactsParameters))]
[JsonSerializable(typeof(HostStatsParameters))]
[JsonSerializable(typeof(HttpCheckParameters))]
[JsonSerializable(typeof(HttpRequestParameters))]
[JsonSerializable(typeof(LogsTailParameters))]
[JsonSerializable(typeof(PostgresBackupParameters))]
[JsonSerializable(typeof(PostgresCheckParameters))]
[JsonSerializable(typeof(PostgresPurgeParameters))]
[JsonSerializable(typeof(PostgresReindexParameters))]
[JsonSerializable(typeof(PostgresRestoreParameters))]
[JsonSerializable(typeof(PostgresStatsParameters))]
[JsonSerializable(typeof(PostgresVacuumParameters))]
[JsonSerializable(typeof(PostgresVerifyBackupParameters))]
[JsonSerializable(typeof(QueueCheckParameters))]
[JsonSerializable(typeof(RedisCheckParameters))]
[JsonSerializable(typeof(ScriptRunParameters))]
[JsonSerializable(typeof(ServiceRestartParameters))]
[JsonSerializable(typeof(ServiceStatusParameters))]
[JsonSerializable(typeof(TlsCheckParameters))]
internal sealed partial class AgentParametersJsonContext : JsonSerializerContext;
