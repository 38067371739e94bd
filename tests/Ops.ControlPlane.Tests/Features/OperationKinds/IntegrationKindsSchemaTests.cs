using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.OperationKinds;

/// <summary>The schemas and submit-time validation of the issue-15 kinds (http.request, files.archive, files.restore-archive, redis.check, queue.check).</summary>
public sealed class IntegrationKindsSchemaTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    [Fact]
    public async Task Catalog_PublishesSchemasWithRequiredFieldsEnumsAndBounds_ForTheNewKinds()
    {
        var kinds = await (await factory.CreateClient(Roles.Viewer).GetAsync("/api/v1/operation-kinds")).ReadJsonAsync();
        var byName = kinds.EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!);

        var request = byName["http.request"];
        Assert.False(request.GetProperty("retrySafe").GetBoolean());
        var schema = request.GetProperty("parametersSchema");
        Assert.Equal(["method", "url"], Required(schema));
        Assert.Equal(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], schema.GetProperty("properties").GetProperty("method").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("headers").GetProperty("additionalProperties").GetProperty("type").GetString());
        Assert.Equal(599, schema.GetProperty("properties").GetProperty("expectedStatus").GetProperty("items").GetProperty("maximum").GetDouble());
        Assert.DoesNotContain("password", schema.GetRawText(), StringComparison.OrdinalIgnoreCase); // the API never carries the secret

        Assert.Equal(["path"], Required(byName["files.archive"].GetProperty("parametersSchema")));
        var restore = byName["files.restore-archive"];
        Assert.Equal("destructive", restore.GetProperty("risk").GetString());
        Assert.Equal(["file", "path"], Required(restore.GetProperty("parametersSchema")));

        var redis = byName["redis.check"].GetProperty("parametersSchema").GetProperty("properties");
        Assert.Contains("keyspace", redis.GetProperty("sections").GetProperty("items").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(100, redis.GetProperty("maxMemoryPercent").GetProperty("maximum").GetDouble());
        Assert.True(byName["redis.check"].GetProperty("retrySafe").GetBoolean());

        var queue = byName["queue.check"].GetProperty("parametersSchema");
        Assert.Equal(["endpoint", "queue"], Required(queue));
        Assert.Equal(255, queue.GetProperty("properties").GetProperty("queue").GetProperty("maxLength").GetInt32());
        Assert.False(string.IsNullOrEmpty(byName["queue.check"].GetProperty("seedOrigin").GetString()));
    }

    public static TheoryData<string, string> BadParameters => new()
    {
        { """{"url":"https://api.internal/admin/ingest","method":"TRACE"}""", "parameters.method" },
        { """{"url":"https://admin:pw@api.internal/admin/ingest","method":"POST"}""", "parameters.url" },
        { """{"url":"https://api.internal/x","method":"POST","headers":{"Authorization":"Basic eDp5"}}""", "parameters.headers[Authorization]" },
        { """{"url":"https://api.internal/x","method":"GET","body":"{}"}""", "parameters.body" },
        { """{"url":"https://api.internal/x","method":"GET","credential":"../etc"}""", "parameters.credential" },
    };

    [Theory]
    [MemberData(nameof(BadParameters))]
    public async Task Submit_HttpRequestWithBadParameters_Is400NamingTheField(string parameters, string field) =>
        await ProblemAssert.HasFieldErrorAsync(await factory.CreateClient(Roles.Operator).PostRawAsync("/api/v1/operations", Body("http.request", parameters)), field);

    [Theory]
    [InlineData("files.archive", """{"path":"relative/dir"}""", "parameters.path")]
    [InlineData("files.archive", """{"path":"/srv","exclude":["/etc/*"]}""", "parameters.exclude[0]")]
    [InlineData("files.restore-archive", """{"file":"../x.tar.gz","path":"/srv/restore"}""", "parameters.file")]
    [InlineData("files.restore-archive", """{"file":"data_20261130_020000.zip","path":"/srv/restore"}""", "parameters.file")]
    [InlineData("redis.check", """{"instance":"cache","sections":["all"]}""", "parameters.sections[0]")]
    [InlineData("redis.check", """{"instance":"cache","maxListLength":10}""", "parameters.maxListLength")]
    [InlineData("redis.check", """{"instance":"redis://:pw@host"}""", "parameters.instance")]
    [InlineData("queue.check", """{"endpoint":"broker"}""", "parameters.queue")]
    [InlineData("queue.check", """{"endpoint":"broker","queue":"celery","maxMessages":-1}""", "parameters.maxMessages")]
    public async Task Submit_NewKindsWithBadParameters_Is400NamingTheField(string kind, string parameters, string field) =>
        await ProblemAssert.HasFieldErrorAsync(await factory.CreateClient(Roles.Admin).PostRawAsync("/api/v1/operations", Body(kind, parameters)), field);

    private static string Body(string kind, string parameters) => $$"""{"kind":"{{kind}}","target":{"all":true},"parameters":{{parameters}}}""";

    private static string[] Required(JsonElement schema) => [.. schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];
}
