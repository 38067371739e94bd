using System.Net;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.Operations;

public sealed class ValidationTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>, IAsyncLifetime
{
    private Guid _agent;

    public async Task InitializeAsync() => _agent = await factory.SeedAgentAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"kind":"nope","target":{"all":true}}""", "kind" },
        { """{"target":{"all":true}}""", "kind" },
        { """{"kind":"","target":{"all":true}}""", "kind" },
        { """{"kind":"host.disk"}""", "target" },
        { """{"kind":"host.disk","target":{}}""", "target" },
        { """{"kind":"host.disk","target":{"all":true,"labels":{"a":"b"}}}""", "target" },
        { """{"kind":"host.disk","target":{"agentIds":[]}}""", "target.agentIds" },
        { """{"kind":"host.disk","target":{"agentIds":["not-a-guid"]}}""", "target.agentIds[0]" },
        { """{"kind":"host.disk","target":{"labels":{}}}""", "target.labels" },
        { """{"kind":"host.disk","target":{"all":false}}""", "target.all" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":{"minFreeBytes":"ten"}}""", "parameters.minFreeBytes" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":{"minFreeBytes":-1}}""", "parameters.minFreeBytes" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":{"minFreePercent":101}}""", "parameters.minFreePercent" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":{"paths":["relative/path"]}}""", "parameters.paths[0]" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":{"colour":"blue"}}""", "parameters.colour" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":[1,2]}""", "parameters" },
        { """{"kind":"host.disk","target":{"all":true},"parameters":"df -h"}""", "parameters" },
        { """{"kind":"agent.ping","target":{"all":true},"timeoutSeconds":0}""", "timeoutSeconds" },
        { """{"kind":"agent.ping","target":{"all":true},"timeoutSeconds":86401}""", "timeoutSeconds" },
        { """{"kind":"agent.ping","target":{"all":true},"priority":101}""", "priority" },
        { """{"kind":"agent.ping","target":{"all":true},"priority":"high"}""", "priority" },
        { """{"kind":"agent.ping","target":{"all":true}""", "body" },
        { """not json at all""", "body" },
        { """[]""", "body" },
        { "", "body" },
        { """{"kind":"http.check","target":{"all":true},"parameters":{"url":"ftp://example.com/x"}}""", "parameters.url" },
        { """{"kind":"http.check","target":{"all":true},"parameters":{"url":"file:///etc/passwd"}}""", "parameters.url" },
        { """{"kind":"http.check","target":{"all":true},"parameters":{}}""", "parameters.url" },
        { """{"kind":"logs.tail","target":{"all":true},"parameters":{"path":"/var/log/app.log","pattern":"(unclosed"}}""", "parameters.pattern" },
        { """{"kind":"logs.tail","target":{"all":true},"parameters":{"path":"/var/log/app.log","lines":10001}}""", "parameters.lines" },
        { """{"kind":"postgres.vacuum","target":{"all":true},"parameters":{"database":"demo","tables":["users; DROP TABLE users"]}}""", "parameters.tables[0]" },
        { """{"kind":"postgres.backup","target":{"all":true},"parameters":{"database":"host=db password=x"}}""", "parameters.database" },
        { """{"kind":"script.run","target":{"all":true},"parameters":{"script":"demo.pipeline","arguments":{"format":["a","b"]}}}""", "parameters.arguments" },
        { """{"kind":"files.prune","target":{"all":true},"parameters":{"directory":"/var/log","pattern":"../*","olderThanDays":7}}""", "parameters.pattern" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Create_WithBadInput_Is400ProblemNamingTheField(string body, string field)
    {
        var client = factory.CreateClient(Roles.Operator);
        var before = await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM operations");

        await ProblemAssert.HasFieldErrorAsync(await client.PostRawAsync("/api/v1/operations", body), field);

        Assert.Equal(before, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM operations"));
    }

    [Fact]
    public async Task Create_TargetingUnknownRevokedOrIncapableAgents_Is400NamingEachAgent()
    {
        var revoked = await factory.SeedAgentAsync(revoked: true);
        var pingOnly = await factory.SeedAgentAsync(capabilities: ["agent.ping"]);
        var unknown = Guid.NewGuid();
        var client = factory.CreateClient(Roles.Operator);

        var problem = await ProblemAssert.HasFieldErrorAsync(
            await client.PostJsonAsync("/api/v1/operations", new { kind = "host.disk", target = new { agentIds = new[] { _agent, revoked, pingOnly, unknown } } }),
            "target.agentIds");

        var messages = string.Join(" ", problem.GetProperty("errors").GetProperty("target.agentIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(unknown.ToString(), messages, StringComparison.Ordinal);
        Assert.Contains(revoked.ToString(), messages, StringComparison.Ordinal);
        Assert.Contains(pingOnly.ToString(), messages, StringComparison.Ordinal);
        Assert.DoesNotContain(_agent.ToString(), messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_DestructiveKind_MayBeRequestedByAnOperatorAndIsValidatedLikeAnyOther()
    {
        var body = new { kind = "postgres.purge", parameters = new { database = "demo", rule = "demo.sessions" }, target = new { agentIds = new[] { _agent } } };

        // The seeded agent does not enable postgres.purge: operator and admin get past the role check to the target check
        // (destructive work waits for an approval instead, DESIGN.md §14: Features/Approvals).
        await ProblemAssert.HasFieldErrorAsync(await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", body), "target.agentIds");
        await ProblemAssert.HasFieldErrorAsync(await factory.CreateClient(Roles.Admin).PostJsonAsync("/api/v1/operations", body), "target.agentIds");
        await ProblemAssert.IsProblemAsync(await factory.CreateClient(Roles.Viewer).PostJsonAsync("/api/v1/operations", body), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Create_WithLabelsMatchingNoAgent_Is400NamingTheLabels()
    {
        var client = factory.CreateClient(Roles.Operator);
        await ProblemAssert.HasFieldErrorAsync(
            await client.PostJsonAsync("/api/v1/operations", new { kind = "host.disk", target = new { labels = new Dictionary<string, string> { ["env"] = "nowhere" } } }),
            "target.labels");
    }

    [Fact]
    public async Task Create_WithAnOversizedBody_Is413NamingTheBody()
    {
        var client = factory.CreateClient(Roles.Operator);
        var huge = $$$"""{"kind":"host.disk","target":{"all":true},"parameters":{"paths":["/{{{new string('a', 2 * 1024 * 1024)}}}"]}}""";

        var problem = await ProblemAssert.IsProblemAsync(await client.PostRawAsync("/api/v1/operations", huge), System.Net.HttpStatusCode.RequestEntityTooLarge);
        Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task Create_WithOversizedParameters_Is400NamingParameters()
    {
        var client = factory.CreateClient(Roles.Operator);
        var paths = string.Join(",", Enumerable.Range(0, 30).Select(i => $"\"/{new string('p', 4000)}{i}\""));
        await ProblemAssert.HasFieldErrorAsync(
            await client.PostRawAsync("/api/v1/operations", $$$"""{"kind":"host.disk","target":{"all":true},"parameters":{"paths":[{{{paths}}}]}}"""),
            "parameters");
    }

    [Fact]
    public async Task Create_WithATextContentType_Is415Problem()
    {
        var client = factory.CreateClient(Roles.Operator);
        await ProblemAssert.IsProblemAsync(
            await client.PostRawAsync("/api/v1/operations", """{"kind":"agent.ping","target":{"all":true}}""", "text/plain"),
            HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task EnrollmentToken_WithOutOfRangeValues_Is400NamingEachField()
    {
        var client = factory.CreateClient(Roles.Admin);
        var problem = await ProblemAssert.HasFieldErrorAsync(
            await client.PostRawAsync("/api/v1/enrollment-tokens", """{"expiresInMinutes":0,"maxUses":0,"labels":{"":"x"}}"""),
            "expiresInMinutes");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("maxUses", out _));
        Assert.True(errors.TryGetProperty("labels", out _));
    }
}
