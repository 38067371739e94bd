using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Executors;
using Ops.Agent.Policy;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;
using StackExchange.Redis;

namespace Ops.Agent.Tests.Redis;

/// <summary>redis.check against a real redis-server (password, TCP and Unix socket), seed 004 §1.3 and §5.1.</summary>
public sealed class RedisCheckTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RecordingOutput output = new();

    public async Task InitializeAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", redis.Port } },
            Password = RedisServer.Password,
        });
        var database = connection.GetDatabase();
        await database.KeyDeleteAsync(["celery", "small", "plain"]);
        await database.ListRightPushAsync("celery", Enumerable.Range(0, 7).Select(i => (RedisValue)$"task-{i}").ToArray());
        await database.ListRightPushAsync("small", "one");
        await database.StringSetAsync("plain", "not a list");
        foreach (var i in Enumerable.Range(0, 2500))
        {
            _ = database.StringSetAsync($"session:{i}", "x", flags: CommandFlags.FireAndForget);
        }

        await database.StringSetAsync("other:1", "y");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RedisCheck_WithPassword_ReportsPingSectionsScanCountAndListLengths()
    {
        var result = await Run(Tcp(), new RedisCheckParameters("cache", ["memory", "clients", "keyspace"], "session:*", ["celery", "small", "missing"], MaxMemoryPercent: 100, MaxListLength: 100));

        Assert.True(result.Succeeded, result.Error);
        using var json = Json(result);
        var root = json.RootElement;
        Assert.Equal("cache", root.GetProperty("instance").GetString());
        Assert.True(root.GetProperty("pingMs").GetDouble() >= 0);
        Assert.True(long.Parse(root.GetProperty("sections").GetProperty("memory").GetProperty("used_memory").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(root.GetProperty("sections").GetProperty("clients").TryGetProperty("connected_clients", out _));
        Assert.StartsWith("keys=", root.GetProperty("sections").GetProperty("keyspace").GetProperty("db0").GetString(), StringComparison.Ordinal);
        Assert.Equal("total_system_memory", root.GetProperty("memory").GetProperty("limitSource").GetString()); // maxmemory 0 = uncapped
        Assert.Equal(2500, root.GetProperty("keyPattern").GetProperty("count").GetInt64());
        Assert.False(root.GetProperty("keyPattern").GetProperty("capped").GetBoolean());
        Assert.Equal([7L, 1L, 0L], root.GetProperty("lists").EnumerateArray().Select(l => l.GetProperty("length").GetInt64()));
        Assert.Contains("LLEN celery -> 7", output.Of(OutputStream.Stdout));
        Assert.Contains("PING -> PONG", output.Text, StringComparison.Ordinal);

        // Counted with SCAN, never KEYS (which blocks the server): the server's own command statistics.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { { "127.0.0.1", redis.Port } }, Password = RedisServer.Password, AllowAdmin = true });
        var stats = await connection.GetServer("127.0.0.1", redis.Port).InfoRawAsync("commandstats");
        Assert.Contains("cmdstat_scan:", stats, StringComparison.Ordinal);
        Assert.DoesNotContain("cmdstat_keys:", stats, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisCheck_CeleryQueueOverMaxListLength_Fails_AndAKeyThatIsNoListFailsItsCheck()
    {
        var over = await Run(Tcp(), new RedisCheckParameters("cache", Lists: ["celery"], MaxListLength: 5));

        Assert.False(over.Succeeded);
        Assert.Equal("list celery: 7 items, at most 5", over.Error);
        using (var json = Json(over))
        {
            Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
        }

        var wrongType = await Run(Tcp(), new RedisCheckParameters("cache", Lists: ["plain"]));
        Assert.False(wrongType.Succeeded);
        Assert.Contains("WRONGTYPE", wrongType.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisCheck_OverUnixSocket_Succeeds_AndMaxMemoryPercentIsChecked()
    {
        var options = Options.Create(new PolicyOptions
        {
            Redis = new RedisPolicyOptions { Instances = { ["local"] = new RedisInstancePolicy { UnixSocket = redis.Socket, Password = RedisServer.Password } } },
        });

        var result = await Run(options, new RedisCheckParameters("local", ["server"], Lists: ["celery"], MaxMemoryPercent: 100));

        Assert.True(result.Succeeded, result.Error);
        using var json = Json(result);
        Assert.StartsWith("7.", json.RootElement.GetProperty("sections").GetProperty("server").GetProperty("redis_version").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("sections").GetProperty("memory").ValueKind); // added for maxMemoryPercent
        Assert.Equal("memory", json.RootElement.GetProperty("checks")[0].GetProperty("name").GetString());
        Assert.True(json.RootElement.GetProperty("checks")[0].GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task RedisCheck_WrongPassword_UnknownInstance_AndNoServer_FailWithoutTheSecret()
    {
        var wrong = Options.Create(new PolicyOptions
        {
            Redis = new RedisPolicyOptions { Instances = { ["cache"] = new RedisInstancePolicy { Host = "127.0.0.1", Port = redis.Port, Password = "wrong-password-123", TimeoutMs = 3000 } } },
        });
        var denied = await Run(wrong, new RedisCheckParameters("cache"));
        Assert.False(denied.Succeeded);
        Assert.StartsWith($"cannot connect to redis instance 'cache' (127.0.0.1:{redis.Port})", denied.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-123", denied.Error, StringComparison.Ordinal);

        var unknown = await Run(Tcp(), new RedisCheckParameters("nope"));
        Assert.Equal("redis instance 'nope' is not in this agent's policy (Policy:Redis:Instances; known: cache)", unknown.Error);

        var none = Options.Create(new PolicyOptions
        {
            Redis = new RedisPolicyOptions { Instances = { ["gone"] = new RedisInstancePolicy { UnixSocket = "/nonexistent/redis.sock", TimeoutMs = 1000 } } },
        });
        var unreachable = await Run(none, new RedisCheckParameters("gone"));
        Assert.StartsWith("cannot connect to redis instance 'gone' (unix:/nonexistent/redis.sock)", unreachable.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisServer.Password, output.Text + denied.Error + unknown.Error, StringComparison.Ordinal);
    }

    private IOptions<PolicyOptions> Tcp() => Options.Create(new PolicyOptions
    {
        Redis = new RedisPolicyOptions { Instances = { ["cache"] = new RedisInstancePolicy { Host = "127.0.0.1", Port = redis.Port, Password = RedisServer.Password } } },
    });

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private Task<ExecutorResult> Run(IOptions<PolicyOptions> policy, RedisCheckParameters parameters)
    {
        var executor = new RedisCheckExecutor(policy, TimeProvider.System);
        return executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);
    }
}
