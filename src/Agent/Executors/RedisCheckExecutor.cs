using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;
using StackExchange.Redis;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>redis.check</c> (seed 004 §1.3: <c>redis-cli PING</c>, <c>INFO memory</c>,
/// <c>redis-cli --scan --pattern</c>; §5.1 "Queue Celery Saturée": <c>redis-cli LLEN celery</c>)
/// through StackExchange.Redis against an instance of <c>Policy:Redis:Instances</c> (TCP or Unix
/// socket, ACL user and password, TLS), one short-lived connection per job. In order: <c>PING</c>
/// (its round trip is <c>pingMs</c>); <c>INFO &lt;section&gt;</c> for each asked section (default
/// memory, clients, keyspace; memory too when <c>maxMemoryPercent</c> is given), reported as
/// <c>name → value</c> maps; the keys matching <c>keyPattern</c> in the instance's database, counted
/// with <c>SCAN … MATCH … COUNT 1000</c> — never <c>KEYS</c>, which blocks the server — up to
/// <see cref="MaxCountedKeys"/> matches or <see cref="MaxScanCalls"/> calls (then
/// <c>capped: true</c>); <c>LLEN</c> of each of <c>lists</c>. Checks: used memory ≤
/// <c>maxMemoryPercent</c> of <c>maxmemory</c> (of <c>total_system_memory</c> when maxmemory is 0,
/// as Redis itself does not cap), each list ≤ <c>maxListLength</c>; a key that is not a list fails
/// its check. Result <c>{instance, pingMs, sections{name{field: value}}, memory{usedBytes,
/// limitBytes, limitSource, usedPercent}?, keyPattern{pattern, count, capped}?, lists[{name, length,
/// error}], checks[{name, ok, detail}], ok}</c>. The password never appears: the runner redacts it.
/// </summary>
internal sealed class RedisCheckExecutor(IOptions<PolicyOptions> policy, TimeProvider timeProvider) : IOperationExecutor
{
    /// <summary>Matching keys counted at most.</summary>
    public const int MaxCountedKeys = 100_000;

    /// <summary>SCAN calls made at most (each examines about 1,000 keys).</summary>
    public const int MaxScanCalls = 1_000;

    /// <summary>Commands this connection can never send (StackExchange.Redis refuses them client-side): KEYS and the ones that change or stop a server.</summary>
    public static readonly HashSet<string> DisabledCommands = new(StringComparer.OrdinalIgnoreCase)
    {
        "KEYS", "FLUSHALL", "FLUSHDB", "SHUTDOWN", "DEBUG", "SAVE", "BGSAVE", "BGREWRITEAOF", "SLAVEOF", "REPLICAOF", "MIGRATE", "SWAPDB", "MONITOR",
    };

    /// <summary>The default INFO sections.</summary>
    public static readonly IReadOnlyList<string> DefaultSections = ["memory", "clients", "keyspace"];

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.RedisCheck.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (RedisCheckParameters)job.Parameters;
        var instances = policy.Value.Redis.Instances;
        if (!instances.TryGetValue(parameters.Instance, out var instance))
        {
            var known = instances.Count == 0 ? "none configured" : "known: " + string.Join(", ", instances.Keys.Order(StringComparer.Ordinal));
            return ExecutorResult.Failure($"redis instance '{parameters.Instance}' is not in this agent's policy (Policy:Redis:Instances; {known})");
        }

        var password = instance.Password;
        if (!string.IsNullOrEmpty(instance.FromEnvironment))
        {
            password = Environment.GetEnvironmentVariable(instance.FromEnvironment);
            if (string.IsNullOrEmpty(password))
            {
                return ExecutorResult.Failure($"Policy:Redis:Instances:{parameters.Instance}:FromEnvironment: the environment variable '{instance.FromEnvironment}' is not set");
            }
        }

        var endpoint = instance.UnixSocket is { Length: > 0 } socket ? (EndPoint)new UnixDomainSocketEndPoint(socket) : new DnsEndPoint(instance.Host!, instance.Port);
        var where = instance.UnixSocket is { Length: > 0 } ? $"unix:{instance.UnixSocket}" : $"{instance.Host}:{instance.Port.ToString(CultureInfo.InvariantCulture)}";
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = instance.TimeoutMs,
            SyncTimeout = instance.TimeoutMs,
            AsyncTimeout = instance.TimeoutMs,
            User = instance.User,
            Password = password,
            Ssl = instance.Tls,
            SslHost = instance.Tls ? instance.TlsServerName ?? instance.Host : null,
            ClientName = "ops-agent",
            DefaultDatabase = instance.Database,
            // StackExchange.Redis counts INFO as an admin command; the commands that change or
            // block a server are removed from this connection instead, KEYS among them.
            AllowAdmin = true,
            CommandMap = CommandMap.Create(DisabledCommands, available: false),
        };
        options.EndPoints.Add(endpoint);

        ConnectionMultiplexer connection;
        var connecting = ConnectionMultiplexer.ConnectAsync(options);
        try
        {
            connection = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            return ExecutorResult.Failure($"cannot connect to redis instance '{parameters.Instance}' ({where}): {Shorten(ex.Message)}");
        }
        catch (OperationCanceledException)
        {
            // Cancelled while connecting: close the connection whenever it completes.
            _ = connecting.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        await using (connection.ConfigureAwait(false))
        {
            try
            {
                return await CheckAsync(job, parameters, connection.GetServer(connection.GetEndPoints()[0]), connection.GetDatabase(instance.Database), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return ExecutorResult.Failure($"redis instance '{parameters.Instance}' ({where}): {Shorten(ex.Message)}");
            }
        }
    }

    private async Task<ExecutorResult> CheckAsync(JobContext job, RedisCheckParameters parameters, IServer server, IDatabase database, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        await database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var pingMs = Math.Round(timeProvider.GetElapsedTime(started).TotalMilliseconds, 3);
        job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"PING -> PONG in {pingMs} ms"));

        var sectionNames = (parameters.Sections is { Count: > 0 } asked ? asked : DefaultSections).ToList();
        if (parameters.MaxMemoryPercent is not null && !sectionNames.Contains("memory", StringComparer.Ordinal))
        {
            sectionNames.Add("memory");
        }

        var sections = new SortedDictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var section in sectionNames.Distinct(StringComparer.Ordinal))
        {
            var raw = await server.InfoRawAsync(section).WaitAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
            var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in raw.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                job.Output.Stdout(line);
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (!line.StartsWith('#') && colon > 0)
                {
                    fields[line[..colon]] = line[(colon + 1)..];
                }
            }

            sections[section] = fields;
        }

        var checks = new List<Check>();
        MemoryUsage? memory = null;
        if (sections.TryGetValue("memory", out var memoryFields) && Long(memoryFields, "used_memory") is { } used)
        {
            var max = Long(memoryFields, "maxmemory") ?? 0;
            var (limit, source) = max > 0 ? (max, "maxmemory") : (Long(memoryFields, "total_system_memory") ?? 0, "total_system_memory");
            double? percent = limit > 0 ? Math.Round(used * 100.0 / limit, 2) : null;
            memory = new MemoryUsage(used, limit, source, percent);
            if (parameters.MaxMemoryPercent is { } maxPercent)
            {
                checks.Add(percent is { } p
                    ? new Check("memory", p <= maxPercent, string.Create(CultureInfo.InvariantCulture, $"{used} bytes used, {p}% of {source} {limit}, at most {maxPercent}%"))
                    : new Check("memory", false, "neither maxmemory nor total_system_memory is reported: the percentage is unknown"));
            }
        }

        KeyCount? keys = null;
        if (parameters.KeyPattern is { } pattern)
        {
            keys = await CountKeysAsync(database, pattern, cancellationToken).ConfigureAwait(false);
            job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"SCAN MATCH {pattern}: {keys.Count}{(keys.Capped ? "+ (capped)" : string.Empty)} keys"));
        }

        var lists = new List<ListLength>();
        foreach (var name in parameters.Lists ?? [])
        {
            try
            {
                var length = await database.ListLengthAsync(name).WaitAsync(cancellationToken).ConfigureAwait(false);
                lists.Add(new ListLength(name, length, null));
                job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"LLEN {name} -> {length}"));
                if (parameters.MaxListLength is { } maxLength)
                {
                    checks.Add(new Check($"list {name}", length <= maxLength, string.Create(CultureInfo.InvariantCulture, $"{length} items, at most {maxLength}")));
                }
            }
            catch (RedisServerException ex)
            {
                lists.Add(new ListLength(name, null, ex.Message));
                job.Output.Stderr($"LLEN {name} -> {ex.Message}");
                checks.Add(new Check($"list {name}", false, ex.Message));
            }
        }

        foreach (var check in checks)
        {
            job.Output.System($"{(check.Ok ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
        }

        var ok = checks.All(c => c.Ok);
        var result = new CheckResult(parameters.Instance, pingMs, sections, memory, keys, lists, checks, ok);
        return ok
            ? ExecutorResult.Success(result)
            : ExecutorResult.Failure(string.Join("; ", checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")), result);
    }

    private static async Task<KeyCount> CountKeysAsync(IDatabase database, string pattern, CancellationToken cancellationToken)
    {
        long count = 0;
        var cursor = "0";
        var calls = 0;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reply = await database.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000).WaitAsync(cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])reply!;
            cursor = (string)parts[0]!;
            count += ((RedisResult[])parts[1]!).Length;
            calls++;
        }
        while (cursor != "0" && count < MaxCountedKeys && calls < MaxScanCalls);

        return new KeyCount(pattern, Math.Min(count, MaxCountedKeys), cursor != "0");
    }

    private static long? Long(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Shorten(string message) => message.Length <= 400 ? message : message[..400] + "…";

    internal sealed record Check(string Name, bool Ok, string Detail);

    internal sealed record MemoryUsage(long UsedBytes, long LimitBytes, string LimitSource, double? UsedPercent);

    internal sealed record KeyCount(string Pattern, long Count, bool Capped);

    internal sealed record ListLength(string Name, long? Length, string? Error);

    internal sealed record CheckResult(
        string Instance,
        double PingMs,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Sections,
        MemoryUsage? Memory,
        KeyCount? KeyPattern,
        IReadOnlyList<ListLength> Lists,
        IReadOnlyList<Check> Checks,
        bool Ok);
}
