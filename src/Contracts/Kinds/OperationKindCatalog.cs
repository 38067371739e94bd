using System.Diagnostics.CodeAnalysis;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Contracts.Kinds;

/// <summary>
/// The operation kinds this version of Ops knows (DESIGN.md §6), keyed by exact name. Shared by
/// the control plane (submit-time validation, <c>GET /api/v1/operation-kinds</c>) and the agent
/// (run-time validation, capabilities).
/// </summary>
public static class OperationKindCatalog
{
    /// <summary>Connectivity check: the agent answers with its version and clock (Salt <c>test.ping</c>).</summary>
    public static OperationKind AgentPing { get; } = new(
        "agent.ping",
        "Checks that the agent is connected and executing: returns its version and clock.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(30),
        RetrySafe: true,
        typeof(AgentPingParameters),
        new AgentPingParametersValidator(),
        "connectivity check (Salt test.ping)");

    /// <summary>Disk usage of the host's file systems with free-space thresholds (seed 000 <c>df -h</c>, "&lt; 10 GB" alert).</summary>
    public static OperationKind HostDisk { get; } = new(
        "host.disk",
        "Reports total, used and free space of the host's file systems and fails below the given thresholds.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(HostDiskParameters),
        new HostDiskParametersValidator(),
        "df -h, \"disk < 10 GB\" alert (seed 000)");

    /// <summary><c>host.facts</c>: Host inventory: OS, kernel, architecture, CPUs, memory, boot time.</summary>
    public static OperationKind HostFacts { get; } = new(
        "host.facts",
        "Host inventory: OS, kernel, architecture, CPUs, memory, boot time.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(30),
        RetrySafe: true,
        typeof(HostFactsParameters),
        new HostFactsParametersValidator(),
        "inventory");

    /// <summary><c>host.stats</c>: Samples CPU, memory, load and disk usage of the host.</summary>
    public static OperationKind HostStats { get; } = new(
        "host.stats",
        "Samples CPU, memory, load and disk usage of the host.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(120),
        RetrySafe: true,
        typeof(HostStatsParameters),
        new HostStatsParametersValidator(),
        "docker stats, CPU > 80 % / memory > 90 % alerts (seeds 000, 003)");

    /// <summary><c>http.check</c>: Requests a URL and checks status, latency and body.</summary>
    public static OperationKind HttpCheck { get; } = new(
        "http.check",
        "Requests a URL and checks status, latency and body.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(HttpCheckParameters),
        new HttpCheckParametersValidator(),
        "curl /health, endpoint checks slower than 1 s (seeds 000, 001)");

    /// <summary><c>tls.check</c>: Checks a TLS server's certificate: chain, name and days until expiry.</summary>
    public static OperationKind TlsCheck { get; } = new(
        "tls.check",
        "Checks a TLS server's certificate: chain, name and days until expiry.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(TlsCheckParameters),
        new TlsCheckParametersValidator(),
        "certificate expiry after renewal (seed 004)");

    /// <summary><c>logs.tail</c>: Returns the last lines of a log file under the allowed paths, optionally filtered by a regular expression.</summary>
    public static OperationKind LogsTail { get; } = new(
        "logs.tail",
        "Returns the last lines of a log file under the allowed paths, optionally filtered by a regular expression.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(LogsTailParameters),
        new LogsTailParametersValidator(),
        "logs --tail=100 | grep -i error (seeds 000, 003)");

    /// <summary><c>postgres.stats</c>: Database size, connections by state, table sizes with live/dead tuples, slow queries, replication lag.</summary>
    public static OperationKind PostgresStats { get; } = new(
        "postgres.stats",
        "Database size, connections by state, table sizes with live/dead tuples, slow queries, replication lag.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(120),
        RetrySafe: true,
        typeof(PostgresStatsParameters),
        new PostgresStatsParametersValidator(),
        "pg_stat_* queries (seeds 000, 004 §4.2)");

    /// <summary><c>postgres.check</c>: Runs a named read-only SQL check of the agent's policy and compares it with its expectation.</summary>
    public static OperationKind PostgresCheck { get; } = new(
        "postgres.check",
        "Runs a named read-only SQL check of the agent's policy and compares it with its expectation.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(120),
        RetrySafe: true,
        typeof(PostgresCheckParameters),
        new PostgresCheckParametersValidator(),
        "data freshness and anomaly detection (seed 001)");

    /// <summary><c>postgres.backup</c>: pg_dump of a policy database into the backup folder, with size, SHA-256 and optional retention.</summary>
    public static OperationKind PostgresBackup { get; } = new(
        "postgres.backup",
        "pg_dump of a policy database into the backup folder, with size, SHA-256 and optional retention.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(PostgresBackupParameters),
        new PostgresBackupParametersValidator(),
        "pg_dump | gzip, keep 7 days (seeds 000, 003, 004)");

    /// <summary><c>postgres.verify-backup</c>: Restores a backup into a scratch database, counts tables and rows, drops the scratch database.</summary>
    public static OperationKind PostgresVerifyBackup { get; } = new(
        "postgres.verify-backup",
        "Restores a backup into a scratch database, counts tables and rows, drops the scratch database.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(PostgresVerifyBackupParameters),
        new PostgresVerifyBackupParametersValidator(),
        "weekly restore test (seed 004)");

    /// <summary><c>postgres.vacuum</c>: VACUUM (ANALYZE by default, FULL only when asked) of a database or some tables.</summary>
    public static OperationKind PostgresVacuum { get; } = new(
        "postgres.vacuum",
        "VACUUM (ANALYZE by default, FULL only when asked) of a database or some tables.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(PostgresVacuumParameters),
        new PostgresVacuumParametersValidator(),
        "VACUUM ANALYZE (seeds 000, 004)");

    /// <summary><c>postgres.reindex</c>: REINDEX of a database or one table.</summary>
    public static OperationKind PostgresReindex { get; } = new(
        "postgres.reindex",
        "REINDEX of a database or one table.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(PostgresReindexParameters),
        new PostgresReindexParametersValidator(),
        "REINDEX DATABASE (seed 000)");

    /// <summary><c>file.backup</c>: Copies a file to &lt;path&gt;.backup-YYYYMMDD-HHMMSS before it is changed.</summary>
    public static OperationKind FileBackup { get; } = new(
        "file.backup",
        "Copies a file to <path>.backup-YYYYMMDD-HHMMSS before it is changed.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(120),
        RetrySafe: false,
        typeof(FileBackupParameters),
        new FileBackupParametersValidator(),
        "never touch a file without a backup (seed 002)");

    /// <summary><c>files.prune</c>: Deletes files of a folder matching a pattern and older than N days (dry run available).</summary>
    public static OperationKind FilesPrune { get; } = new(
        "files.prune",
        "Deletes files of a folder matching a pattern and older than N days (dry run available).",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(300),
        RetrySafe: false,
        typeof(FilesPruneParameters),
        new FilesPruneParametersValidator(),
        "find -mtime +7 -delete, log clean-up (seeds 000, 003)");

    /// <summary><c>script.run</c>: Runs a script named by the agent's policy with typed arguments, as argv (never through a shell).</summary>
    public static OperationKind ScriptRun { get; } = new(
        "script.run",
        "Runs a script named by the agent's policy with typed arguments, as argv (never through a shell).",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(ScriptRunParameters),
        new ScriptRunParametersValidator(),
        "scraping pipeline, ingestion, collector, certbot (seeds 000, 001, 002, 004)");

    /// <summary><c>service.status</c>: State of services named by the agent's policy (docker compose, docker swarm or systemd).</summary>
    public static OperationKind ServiceStatus { get; } = new(
        "service.status",
        "State of services named by the agent's policy (docker compose, docker swarm or systemd).",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(ServiceStatusParameters),
        new ServiceStatusParametersValidator(),
        "docker compose ps, docker service ls (seeds 000, 003, 004)");

    /// <summary><c>service.restart</c>: Restarts one service named by the agent's policy; a database service only after a recent backup.</summary>
    public static OperationKind ServiceRestart { get; } = new(
        "service.restart",
        "Restarts one service named by the agent's policy; a database service only after a recent backup.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(300),
        RetrySafe: false,
        typeof(ServiceRestartParameters),
        new ServiceRestartParametersValidator(),
        "docker compose restart, docker service update --force (seeds 002, 003, 004)");

    /// <summary><c>postgres.restore</c>: Restores a verified backup (whole or some tables) into its database. Destructive: runs only after an admin other than the requester approves it.</summary>
    public static OperationKind PostgresRestore { get; } = new(
        "postgres.restore",
        "Restores a verified backup (whole or some tables) into its database. Destructive: runs only after an admin other than the requester approves it.",
        OperationRisk.Destructive,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(PostgresRestoreParameters),
        new PostgresRestoreParametersValidator(),
        "restore (seeds 000, 003)");

    /// <summary><c>postgres.purge</c>: Deletes rows older than a named retention rule, in batches with a per-run cap. Destructive: runs only after an admin other than the requester approves it.</summary>
    public static OperationKind PostgresPurge { get; } = new(
        "postgres.purge",
        "Deletes rows older than a named retention rule, in batches with a per-run cap. Destructive: runs only after an admin other than the requester approves it.",
        OperationRisk.Destructive,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(PostgresPurgeParameters),
        new PostgresPurgeParametersValidator(),
        "DELETE ... WHERE created_at < now() - 90 days (seed 000)");

    /// <summary><c>http.request</c>: An HTTP call (GET … DELETE) with a credential named by the agent's policy; mutating methods only to allowed URL prefixes.</summary>
    public static OperationKind HttpRequest { get; } = new(
        "http.request",
        "An HTTP call (GET, HEAD, POST, PUT, PATCH, DELETE) with a credential named by the agent's policy; mutating methods only to the policy's allowed URL prefixes.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(120),
        RetrySafe: false,
        typeof(HttpRequestParameters),
        new HttpRequestParametersValidator(),
        "curl -u $ADMIN_USERNAME:$ADMIN_PASSWORD -X POST <api-url>/admin/ingest (seed 001)");

    /// <summary><c>files.archive</c>: tar.gz of a directory into the agent's archive folder, with a SHA-256 manifest and optional retention.</summary>
    public static OperationKind FilesArchive { get; } = new(
        "files.archive",
        "tar.gz of a directory under the allowed paths into the agent's archive folder, with a SHA-256 manifest and optional retention.",
        OperationRisk.Mutating,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(FilesArchiveParameters),
        new FilesArchiveParametersValidator(),
        "tar czvf volume-$(date).tar.gz /source, monthly config copies (seed 003)");

    /// <summary><c>files.restore-archive</c>: Extracts a verified archive into a new or empty directory, refusing entries that escape it. Destructive.</summary>
    public static OperationKind FilesRestoreArchive { get; } = new(
        "files.restore-archive",
        "Extracts a verified archive of the archive folder into a new or empty directory, refusing entries that escape it. Destructive: needs an approval.",
        OperationRisk.Destructive,
        TimeSpan.FromSeconds(3600),
        RetrySafe: false,
        typeof(FilesRestoreArchiveParameters),
        new FilesRestoreArchiveParametersValidator(),
        "volume restore: tar xzvf (seed 003)");

    /// <summary><c>redis.check</c>: PING, INFO sections, SCAN key count and list lengths of a policy Redis instance, with thresholds.</summary>
    public static OperationKind RedisCheck { get; } = new(
        "redis.check",
        "PING, INFO sections, a SCAN-counted key pattern and list lengths (LLEN) of a Redis instance named by the agent's policy, with thresholds.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(RedisCheckParameters),
        new RedisCheckParametersValidator(),
        "redis-cli PING / INFO memory / --scan --pattern, LLEN celery (seed 004 §1.3, §5.1)");

    /// <summary><c>queue.check</c>: Depth and consumers of a RabbitMQ queue through the management HTTP API, with thresholds.</summary>
    public static OperationKind QueueCheck { get; } = new(
        "queue.check",
        "Messages and consumers of a RabbitMQ queue through the management HTTP API of an endpoint named by the agent's policy, with thresholds.",
        OperationRisk.ReadOnly,
        TimeSpan.FromSeconds(60),
        RetrySafe: true,
        typeof(QueueCheckParameters),
        new QueueCheckParametersValidator(),
        "RabbitMQ queues growing (seed 003), Celery queue depth (seed 004)");

    private static readonly Dictionary<string, OperationKind> ByName =
        new[]
        {
            AgentPing, HostDisk, HostFacts, HostStats, HttpCheck, TlsCheck, LogsTail, PostgresStats, PostgresCheck, PostgresBackup, PostgresVerifyBackup, PostgresVacuum, PostgresReindex, FileBackup, FilesPrune, ScriptRun, ServiceStatus, ServiceRestart, PostgresRestore, PostgresPurge,
            HttpRequest, FilesArchive, FilesRestoreArchive, RedisCheck, QueueCheck,
        }.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>Every kind, ordered by name.</summary>
    public static IReadOnlyList<OperationKind> All { get; } = ByName.Values.OrderBy(k => k.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Looks a kind up by its exact (case-sensitive) name.</summary>
    public static bool TryGet(string? name, [NotNullWhen(true)] out OperationKind? kind)
    {
        if (name is null)
        {
            kind = null;
            return false;
        }

        return ByName.TryGetValue(name, out kind);
    }
}
