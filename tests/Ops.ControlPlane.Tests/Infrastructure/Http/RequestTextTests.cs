using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Http;

/// <summary>
/// Text PostgreSQL cannot store (U+0000, a lone surrogate escape) or that is not UTF-8, in any
/// JSON string of a request body, is a 400 naming the field, never a 500 (issue 16 item 2), and
/// nothing is stored.
/// </summary>
public sealed class RequestTextTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>, IAsyncLifetime
{
    private Guid _agent;

    public async Task InitializeAsync() => _agent = await factory.SeedAgentAsync(new Dictionary<string, string> { ["env"] = "dev" }, ["agent.ping", "host.disk", "logs.tail"]);

    public Task DisposeAsync() => Task.CompletedTask;

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public static TheoryData<string, string, string> BadTexts => new()
    {
        { "/api/v1/operations", """{"kind":"host.disk","target":{"all":true},"parameters":{"paths":["/var\u0000"]}}""", "parameters.paths[0]" },
        { "/api/v1/operations", """{"kind":"logs.tail","target":{"all":true},"parameters":{"path":"/var/log/a.log","pattern":"err\u0000or"}}""", "parameters.pattern" },
        { "/api/v1/operations", """{"kind":"host.disk","target":{"labels":{"env":"d\u0000ev"}}}""", "target.labels.env" },
        { "/api/v1/operations", """{"kind":"host.disk","target":{"labels":{"e\u0000nv":"dev"}}}""", "target.labels" },
        { "/api/v1/operations", """{"kind":"host.disk","target":{"all":true},"parameters":{"paths":["/\ud800"]}}""", "parameters.paths[0]" },
        { "/api/v1/operations", """{"kind":"host.disk","target":{"all":true},"parameters":{"paths":["/ok","/\udfff\ud800"]}}""", "parameters.paths[1]" },
        { "/api/v1/operations", """{"kind":"agent.ping\u0000","target":{"all":true}}""", "kind" },
        { "/api/v1/enrollment-tokens", """{"labels":{"role":"\u0000"}}""", "labels.role" },
        { "/api/v1/enrollment-tokens", """{"labels":{"\u0000":"db"}}""", "labels" },
    };

    [Theory]
    [MemberData(nameof(BadTexts))]
    public async Task Post_WithTextPostgreSqlCannotStore_Is400NamingTheField(string route, string body, string field)
    {
        var before = await factory.QueryScalarAsync<long>("SELECT (SELECT count(*) FROM operations) + (SELECT count(*) FROM enrollment_tokens)");

        var response = await factory.CreateClient(Roles.Admin).PostAsync(route, Json(Encoding.UTF8.GetBytes(body)));

        await ProblemAssert.HasFieldErrorAsync(response, field);
        Assert.Equal(before, await factory.QueryScalarAsync<long>("SELECT (SELECT count(*) FROM operations) + (SELECT count(*) FROM enrollment_tokens)"));
    }

    [Fact]
    public async Task Post_WithInvalidUtf8InsideParameters_Is400NamingTheField()
    {
        var prefix = Encoding.UTF8.GetBytes("""{"kind":"logs.tail","target":{"all":true},"parameters":{"path":"/var/log/a.log","pattern":"er""");
        var suffix = Encoding.UTF8.GetBytes("\"}}");
        byte[] body = [.. prefix, 0xC3, 0x28, 0xFF, .. suffix];

        var response = await factory.CreateClient(Roles.Operator).PostAsync("/api/v1/operations", Json(body));

        await ProblemAssert.HasFieldErrorAsync(response, "parameters.pattern");
    }

    [Fact]
    public async Task Post_WithValidUnicodeAndSurrogatePairs_IsAccepted()
    {
        var body = $$$"""{"kind":"logs.tail","target":{"agentIds":["{{{_agent}}}"]},"parameters":{"path":"/var/log/é.log","pattern":"\ud83d\ude00|ошибка"}}""";

        var response = await factory.CreateClient(Roles.Operator).PostAsync("/api/v1/operations", Json(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var operation = await response.ReadJsonAsync();
        Assert.Equal("\U0001F600|ошибка", operation.GetProperty("parameters").GetProperty("pattern").GetString());
    }
}
