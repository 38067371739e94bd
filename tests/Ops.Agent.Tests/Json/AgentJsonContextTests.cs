using System.Reflection;
using System.Text.Json;
using Ops.Agent.Archives;
using Ops.Agent.Executors;
using Ops.Agent.Json;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Tests.Json;

/// <summary>
/// The agent's source-generated JSON contexts (the only resolver of the Native AOT binary) know
/// every type the agent serialises and follow the same rules as the reflection-based
/// <see cref="OpsJson"/> options the control plane uses.
/// </summary>
public sealed class AgentJsonContextTests
{
    /// <summary>Every record nested in an executor class: the results and their parts.</summary>
    public static TheoryData<Type> ExecutorRecords()
    {
        var data = new TheoryData<Type>();
        foreach (var executor in typeof(IOperationExecutor).Assembly.GetTypes()
                     .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IOperationExecutor).IsAssignableFrom(t))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (var nested in executor.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)
                         .Where(t => t.GetMethod("<Clone>$") is not null))
            {
                data.Add(nested);
            }
        }

        return data;
    }

    public static TheoryData<string> KindNames()
    {
        var data = new TheoryData<string>();
        foreach (var kind in OperationKindCatalog.All)
        {
            data.Add(kind.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ExecutorRecords))]
    public void AgentJsonContext_KnowsEveryRecordOfAnExecutor(Type record)
    {
        Assert.NotNull(AgentJsonContext.Default.GetTypeInfo(record));
    }

    [Fact]
    public void ExecutorRecords_AreFoundAtAll()
    {
        Assert.True(((IEnumerable<object[]>)ExecutorRecords()).Count() >= 40, "the reflection scan above must find the executors' result records");
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void AgentParametersJsonContext_KnowsEveryKindsParameterRecord(string kindName)
    {
        Assert.True(OperationKindCatalog.TryGet(kindName, out var kind));
        Assert.NotNull(AgentParametersJsonContext.Default.GetTypeInfo(kind.ParametersType));
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void ParameterBinding_WithTheAgentsContext_MatchesTheControlPlanesReflectionBinding(string kindName)
    {
        Assert.True(OperationKindCatalog.TryGet(kindName, out var kind));
        string[] documents =
        [
            "{}",
            """{"noSuchParameter": 1}""",
            """{"path": 5}""",
            """{"path": "/tmp/x", "url": null}""",
            """{"url": "http://127.0.0.1/health", "timeoutMs": "5"}""",
            """{"url": "http://127.0.0.1/health", "timeoutMs": 1.5}""",
            """{"database": "demo", "check": "demo.freshness"}""",
            """{"script": "demo.health", "arguments": {"a": "b"}}""",
            """{"host": "example.org", "port": 443, "minDaysLeft": 14}""",
            """{"minFreeBytes": -1, "minFreePercent": 200}""",
        ];
        foreach (var text in documents)
        {
            using var document = JsonDocument.Parse(text);
            var reflection = ParameterBinder.Bind(kind, document.RootElement);
            var generated = ParameterBinder.Bind(kind, document.RootElement, AgentParametersJsonContext.Default);

            Assert.Equal(reflection.IsValid, generated.IsValid);
            Assert.Equal(
                reflection.Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {string.Join(" | ", e.Value)}"),
                generated.Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {string.Join(" | ", e.Value)}"));
            if (reflection.IsValid)
            {
                // Records holding collections are not value-equal: compare what they hold.
                Assert.Equal(
                    JsonSerializer.Serialize(reflection.Value, kind.ParametersType, OpsJson.Default),
                    JsonSerializer.Serialize(generated.Value, kind.ParametersType, OpsJson.Default));
            }
        }
    }

    [Fact]
    public void AgentJsonContext_WritesWhatOpsJsonDefaultWrites()
    {
        var manifest = new ArchiveManifest(
            "demo-20260101T000000Z.tar.gz", "/var/lib/ops/archives/demo.tar.gz", "/srv/demo", 3, 1, 1024, "ab12",
            ["*.tmp"], DateTimeOffset.Parse("2026-01-01T00:00:00Z"), DateTimeOffset.Parse("2026-01-01T00:00:01Z"), Succeeded: true);
        var pong = new AgentPingExecutor.PingResult("1.2.3", "2026-01-01T00:00:00.0000000+00:00");
        var prune = new FilesPruneExecutor.PruneResult("/srv/demo", "*.log", 7, DryRun: false, 2, 1, 5, [new FilesPruneExecutor.PrunedFile("a.log", 5, "2026-01-01")]);

        Assert.Equal(JsonSerializer.Serialize(manifest, OpsJson.Default), JsonSerializer.Serialize(manifest, AgentJsonContext.Default.ArchiveManifest));
        Assert.Equal(JsonSerializer.Serialize(pong, OpsJson.Default), JsonSerializer.Serialize(pong, pong.GetType(), AgentJsonContext.Default));
        Assert.Equal(JsonSerializer.Serialize(prune, OpsJson.Default), JsonSerializer.Serialize(prune, prune.GetType(), AgentJsonContext.Default));
        Assert.Contains("\"agentVersion\":\"1.2.3\"", JsonSerializer.Serialize(pong, pong.GetType(), AgentJsonContext.Default), StringComparison.Ordinal);
    }
}
