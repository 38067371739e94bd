using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Executors;
using Ops.Agent.Policy;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.Agent.Tests.Executors;

/// <summary>http.request against WireMock.Net stubs: seed 001's authenticated POST, and every refusal before anything is sent.</summary>
public sealed class HttpRequestTests : IDisposable
{
    private const string AdminPassword = "s3cret-admin-pw";
    private const string ApiToken = "tok-9d8e7f6a5b4c";
    private readonly WireMockServer server = WireMockServer.Start();
    private readonly RecordingOutput output = new();

    public HttpRequestTests()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + AdminPassword));
        server.Given(Request.Create().WithPath("/admin/ingest").UsingPost().WithHeader("Authorization", basic, WireMock.Matchers.MatchBehaviour.AcceptOnMatch).WithHeader("Content-Type", "application/json*").WithBody("{\"source\":\"scraper\"}"))
            .RespondWith(Response.Create().WithStatusCode(202).WithHeader("Content-Type", "application/json").WithHeader("Location", "/admin/ingest/42").WithHeader("Set-Cookie", "sid=abc").WithBody("{\"job\":42,\"state\":\"queued\"}"));
        server.Given(Request.Create().WithPath("/admin/ingest").UsingPost())
            .AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(401).WithBody("{\"error\":\"unauthorized\"}"));
        server.Given(Request.Create().WithPath("/api/status").UsingGet().WithHeader("X-Api-Key", ApiToken))
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("status: green"));
        server.Given(Request.Create().WithPath("/api/echo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("you sent {{request.headers.Authorization}} and {{request.headers.X-Api-Key}}").WithTransformer());
        server.Given(Request.Create().WithPath("/old").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(301).WithHeader("Location", "https://elsewhere.test/new"));
        server.Given(Request.Create().WithPath("/admin/form").UsingPut().WithHeader("Content-Type", "text/plain*").WithHeader("X-Request-Source", "ops").WithHeader("User-Agent", "runbook/2"))
            .RespondWith(Response.Create().WithStatusCode(204));
        server.Given(Request.Create().WithPath("/big").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(new string('x', 10_000) + "needle"));
    }

    private string Url => server.Urls[0];

    public void Dispose() => server.Stop();

    [Fact]
    public async Task HttpRequest_PostWithNamedBasicCredential_ToAnAllowedPrefix_Succeeds_WithStatusHeadersAndBody()
    {
        var result = await Run(Policy(), new HttpRequestParameters(Url + "/admin/ingest", "POST", "admin-api", Body: "{\"source\":\"scraper\"}", ExpectedStatus: [202], BodyContains: "queued"));

        Assert.True(result.Succeeded, result.Error);
        using var json = Json(result);
        var root = json.RootElement;
        Assert.Equal(202, root.GetProperty("status").GetInt32());
        Assert.Equal("admin-api", root.GetProperty("credential").GetString());
        Assert.Equal("/admin/ingest/42", root.GetProperty("headers").GetProperty("location").GetString());
        Assert.False(root.GetProperty("headers").TryGetProperty("set-cookie", out _));
        Assert.Equal("{\"job\":42,\"state\":\"queued\"}", root.GetProperty("body").GetString());
        Assert.Contains("{\"job\":42,\"state\":\"queued\"}", output.Of(OutputStream.Stdout));
        Assert.DoesNotContain(AdminPassword, JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default) + output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpRequest_HeaderAndBearerCredentials_FromConfigOrEnvironment_AreSent()
    {
        Environment.SetEnvironmentVariable("OPS_TEST_API_TOKEN", ApiToken);
        var policy = Policy(extra: new Dictionary<string, HttpCredentialPolicy>
        {
            ["status-key"] = new() { Scheme = "header", Header = "X-Api-Key", FromEnvironment = "OPS_TEST_API_TOKEN", AllowedUrls = [Url + "/api/"] },
        });

        var ok = await Run(policy, new HttpRequestParameters(Url + "/api/status", "GET", "status-key", BodyContains: "green"));
        Assert.True(ok.Succeeded, ok.Error);
        var missing = await Run(policy, new HttpRequestParameters(Url + "/api/status", "GET"));
        Assert.Equal("status: 404, expected 200-299", missing.Error); // no stub matches without the key
        var bearer = await Run(policy, new HttpRequestParameters(Url + "/api/echo", "GET", "deploy-bot"));
        using var json = Json(bearer);
        Assert.Equal("you sent Bearer bearer-token-77aa and ", json.RootElement.GetProperty("body").GetString());
    }

    [Fact]
    public async Task HttpRequest_MutationOutsideAllowedMutations_IsRefused_BeforeAnythingIsSent()
    {
        var outside = await Run(Policy(), new HttpRequestParameters(Url + "/api/status", "DELETE"));
        Assert.Equal($"DELETE to '{Url}/api/status' is refused: not under Policy:Http:AllowedMutations ({Url}/admin/)", outside.Error);
        var traversal = await Run(Policy(), new HttpRequestParameters(Url + "/admin/x%2F..%2F..%2Fapi%2Fstatus", "POST"));
        Assert.StartsWith("POST to ", traversal.Error, StringComparison.Ordinal);
        Assert.Contains("is refused: not under Policy:Http:AllowedMutations", traversal.Error, StringComparison.Ordinal);
        var none = await Run(Options.Create(new PolicyOptions()), new HttpRequestParameters(Url + "/admin/ingest", "POST"));
        Assert.EndsWith("not under Policy:Http:AllowedMutations (none configured)", none.Error, StringComparison.Ordinal);
        Assert.Empty(server.LogEntries);
    }

    [Fact]
    public async Task HttpRequest_UnknownCredential_OrACredentialOutsideItsAllowedUrls_IsRefused_BeforeAnythingIsSent()
    {
        var unknown = await Run(Policy(), new HttpRequestParameters(Url + "/admin/ingest", "POST", "root"));
        Assert.Equal("credential 'root' is not in this agent's policy (Policy:Http:Credentials; known: admin-api, deploy-bot)", unknown.Error);
        var elsewhere = await Run(Policy(), new HttpRequestParameters(Url + "/api/echo", "GET", "admin-api"));
        Assert.Equal($"credential 'admin-api' may not be sent to '{Url}/api/echo' (Policy:Http:Credentials:admin-api:AllowedUrls: {Url}/admin/)", elsewhere.Error);
        var otherHost = await Run(Policy(), new HttpRequestParameters(Url.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).Replace("127.0.0.1", "127.0.0.2", StringComparison.Ordinal) + "/admin/ingest", "GET", "admin-api"));
        Assert.Contains("may not be sent to", otherHost.Error, StringComparison.Ordinal);
        Environment.SetEnvironmentVariable("OPS_TEST_UNSET_SECRET", null);
        var unset = await Run(Policy(extra: new() { ["env-less"] = new() { Scheme = "bearer", FromEnvironment = "OPS_TEST_UNSET_SECRET", AllowedUrls = [Url] } }), new HttpRequestParameters(Url + "/api/echo", "GET", "env-less"));
        Assert.Equal("Policy:Http:Credentials:env-less:FromEnvironment: the environment variable 'OPS_TEST_UNSET_SECRET' is not set.", unset.Error);
        Assert.Empty(server.LogEntries);
    }

    [Fact]
    public async Task HttpRequest_WrongStatus_FailsWithResult_RedirectsAreNotFollowed_BodyIsCutAt4KiB()
    {
        var wrong = await Run(Policy(), new HttpRequestParameters(Url + "/admin/ingest", "POST", Body: "{}"));
        Assert.Equal("status: 401, expected 200-299", wrong.Error);
        Assert.NotNull(wrong.Result);

        var moved = await Run(Policy(), new HttpRequestParameters(Url + "/old", "GET", ExpectedStatus: [301]));
        Assert.True(moved.Succeeded, moved.Error);
        using (var json = Json(moved))
        {
            Assert.Equal("https://elsewhere.test/new", json.RootElement.GetProperty("headers").GetProperty("location").GetString());
        }

        var big = await Run(Policy(), new HttpRequestParameters(Url + "/big", "GET", BodyContains: "needle"));
        Assert.True(big.Succeeded, big.Error);
        using var bigJson = Json(big);
        Assert.Equal(4096, bigJson.RootElement.GetProperty("body").GetString()!.Length);
        Assert.Equal(10_006, bigJson.RootElement.GetProperty("bodyBytes").GetInt64());
        Assert.True(bigJson.RootElement.GetProperty("bodyTruncated").GetBoolean());
    }

    [Fact]
    public async Task HttpRequest_GivenHeaders_ReplaceTheDefaults_AndABodyHeaderWithoutABodyIsRefused()
    {
        var put = await Run(Policy(), new HttpRequestParameters(Url + "/admin/form", "PUT", Headers: new Dictionary<string, string>
        {
            ["Content-Type"] = "text/plain; charset=utf-8", ["X-Request-Source"] = "ops", ["User-Agent"] = "runbook/2",
        }, Body: "reindex=true"));
        Assert.True(put.Succeeded, put.Error);
        Assert.Equal("reindex=true", server.LogEntries.Single().RequestMessage.Body);

        var bodyless = await Run(Policy(), new HttpRequestParameters(Url + "/api/status", "GET", Headers: new Dictionary<string, string> { ["Content-Type"] = "text/plain" }));
        Assert.Equal("header 'Content-Type' describes a body; this request has none", bodyless.Error);
        Assert.Single(server.LogEntries);
    }

    private IOptions<PolicyOptions> Policy(Dictionary<string, HttpCredentialPolicy>? extra = null)
    {
        var credentials = new Dictionary<string, HttpCredentialPolicy>(StringComparer.Ordinal)
        {
            ["admin-api"] = new() { Scheme = "basic", Username = "admin", Password = AdminPassword, AllowedUrls = [Url + "/admin/"] },
            ["deploy-bot"] = new() { Scheme = "bearer", Token = "bearer-token-77aa", AllowedUrls = [Url + "/api/echo"] },
        };
        foreach (var (name, credential) in extra ?? [])
        {
            credentials[name] = credential;
        }

        return Options.Create(new PolicyOptions { Http = new HttpPolicyOptions { Credentials = credentials, AllowedMutations = [Url + "/admin/"] } });
    }

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private async Task<ExecutorResult> Run(IOptions<PolicyOptions> policy, HttpRequestParameters parameters)
    {
        using var executor = new HttpRequestExecutor(policy, TimeProvider.System);
        return await executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);
    }
}
