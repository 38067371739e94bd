using System.Net;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.OperationKinds;

public sealed class OperationKindsApiTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    [Fact]
    public async Task List_ShowsEachKindWithRiskTimeoutAndASchemaCarryingTheValidatorBounds()
    {
        var kinds = await (await factory.CreateClient(Roles.Viewer).GetAsync("/api/v1/operation-kinds")).ReadJsonAsync();
        var byName = kinds.EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!);

        Assert.Contains("agent.ping", byName.Keys);
        var disk = byName["host.disk"];
        Assert.Equal("read_only", disk.GetProperty("risk").GetString());
        Assert.True(disk.GetProperty("defaultTimeoutSeconds").GetInt32() > 0);
        var schema = disk.GetProperty("parametersSchema");
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
        var percent = schema.GetProperty("properties").GetProperty("minFreePercent");
        Assert.Equal(0, percent.GetProperty("minimum").GetDouble());
        Assert.Equal(100, percent.GetProperty("maximum").GetDouble());
        Assert.Equal(0, schema.GetProperty("properties").GetProperty("minFreeBytes").GetProperty("minimum").GetDouble());
        Assert.False(string.IsNullOrEmpty(percent.GetProperty("description").GetString()));
    }

    [Fact]
    public async Task List_HasExactlyTheKindsOfTheDesignWithTheirRisk()
    {
        var kinds = await (await factory.CreateClient(Roles.Viewer).GetAsync("/api/v1/operation-kinds")).ReadJsonAsync();
        var risks = kinds.EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!, k => k.GetProperty("risk").GetString());

        // DESIGN.md §6, names exact.
        var expected = new Dictionary<string, string>
        {
            ["agent.ping"] = "read_only", ["host.facts"] = "read_only", ["host.stats"] = "read_only", ["host.disk"] = "read_only",
            ["http.check"] = "read_only", ["tls.check"] = "read_only", ["logs.tail"] = "read_only", ["postgres.stats"] = "read_only",
            ["postgres.check"] = "read_only", ["postgres.backup"] = "mutating", ["postgres.verify-backup"] = "mutating",
            ["postgres.vacuum"] = "mutating", ["postgres.reindex"] = "mutating", ["file.backup"] = "mutating", ["files.prune"] = "mutating",
            ["script.run"] = "mutating", ["service.status"] = "read_only", ["service.restart"] = "mutating",
            ["postgres.restore"] = "destructive", ["postgres.purge"] = "destructive",
            // Issue 15: the kinds the seeds still did by hand.
            ["http.request"] = "mutating", ["files.archive"] = "mutating", ["files.restore-archive"] = "destructive",
            ["redis.check"] = "read_only", ["queue.check"] = "read_only",
        };
        Assert.Equal(expected.OrderBy(e => e.Key), risks.OrderBy(e => e.Key)!);
        var http = kinds.EnumerateArray().Single(k => k.GetProperty("name").GetString() == "http.check").GetProperty("parametersSchema");
        Assert.Contains("url", http.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Get_UnknownKind_Is404Problem() =>
        await ProblemAssert.IsProblemAsync(await factory.CreateClient(Roles.Viewer).GetAsync("/api/v1/operation-kinds/rm.rf"), HttpStatusCode.NotFound);
}
