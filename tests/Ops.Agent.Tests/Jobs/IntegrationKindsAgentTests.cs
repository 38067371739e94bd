using System.Text;
using Ops.Agent.Hosting;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Agent.V1;
using StackExchange.Redis;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.Agent.Tests.Jobs;

/// <summary>
/// http.request and redis.check through the real agent (policy from configuration, executors found
/// by reflection, central redaction): the secrets never reach the stored output or result, even
/// when a server echoes them.
/// </summary>
public sealed class IntegrationKindsAgentTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string AdminPassword = "adm1n-Pa55-e2e";
    private const string ApiKey = "key-e2e-5b6c7d8e";
    private readonly WireMockServer server = WireMockServer.Start();
    private FakeControlPlane controlPlane = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("OPS_TEST_E2E_REDIS_PASSWORD", RedisServer.Password); // checked at start
        controlPlane = await FakeControlPlane.StartAsync();
        server.Given(Request.Create().WithPath("/admin/echo").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("{\"got\":\"{{request.headers.Authorization}}\",\"raw\":\"{{request.headers.X-Debug}}\"}").WithTransformer());
        server.Given(Request.Create().WithPath("/api/echo-key").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("key was {{request.headers.X-Api-Key}}").WithTransformer());
        await using var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { { "127.0.0.1", redis.Port } }, Password = RedisServer.Password });
        await connection.GetDatabase().KeyDeleteAsync("celery");
        await connection.GetDatabase().ListRightPushAsync("celery", ["a", "b", "c"]);
    }

    public async Task DisposeAsync()
    {
        server.Stop();
        await controlPlane.DisposeAsync();
    }

    private Dictionary<string, string?> Policy() => new()
    {
        ["Agent:EnabledKinds:0"] = "http.request",
        ["Agent:EnabledKinds:1"] = "redis.check",
        ["Policy:Http:Credentials:admin-api:Scheme"] = "basic",
        ["Policy:Http:Credentials:admin-api:Username"] = "admin",
        ["Policy:Http:Credentials:admin-api:Password"] = AdminPassword,
        ["Policy:Http:Credentials:admin-api:AllowedUrls:0"] = server.Urls[0] + "/admin/",
        ["Policy:Http:Credentials:status:Scheme"] = "header",
        ["Policy:Http:Credentials:status:Header"] = "X-Api-Key",
        ["Policy:Http:Credentials:status:Value"] = ApiKey,
        ["Policy:Http:Credentials:status:AllowedUrls:0"] = server.Urls[0] + "/api/",
        ["Policy:Http:AllowedMutations:0"] = server.Urls[0] + "/admin/",
        ["Policy:Redis:Instances:celery:Host"] = "127.0.0.1",
        ["Policy:Redis:Instances:celery:Port"] = redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Policy:Redis:Instances:celery:FromEnvironment"] = "OPS_TEST_E2E_REDIS_PASSWORD",
    };

    [Fact]
    public async Task HttpRequest_ThroughTheAgent_EchoedCredentialsNeverReachOutputOrResult()
    {
        await using var agent = AgentHarness.Start(controlPlane, Policy());
        var post = Assignments.Create("http.request", """{"url": "URL/admin/echo", "method": "POST", "credential": "admin-api", "body": "{}", "headers": {"X-Debug": "seen"}}""".Replace("URL", server.Urls[0], StringComparison.Ordinal));
        var key = Assignments.Create("http.request", """{"url": "URL/api/echo-key", "method": "GET", "credential": "status"}""".Replace("URL", server.Urls[0], StringComparison.Ordinal));
        controlPlane.Enqueue(post);
        controlPlane.Enqueue(key);

        var postDone = await CompletionOf(post);
        var keyDone = await CompletionOf(key);

        Assert.Equal(JobOutcome.Succeeded, postDone.Outcome);
        Assert.Equal(JobOutcome.Succeeded, keyDone.Outcome);
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + AdminPassword));
        var stored = postDone.ResultJson + keyDone.ResultJson + Output(post) + Output(key);
        Assert.Contains("\\u0022got\\u0022:\\u0022[REDACTED]\\u0022", postDone.ResultJson, StringComparison.Ordinal);
        Assert.Contains("key was [REDACTED]", Output(key), StringComparison.Ordinal);
        Assert.Contains("seen", stored, StringComparison.Ordinal);
        foreach (var secret in new[] { AdminPassword, basic, ApiKey })
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RedisCheck_ThroughTheAgent_WithThePasswordFromTheEnvironment_ReportsTheCeleryQueue()
    {
        await using var agent = AgentHarness.Start(controlPlane, Policy());
        var job = Assignments.Create("redis.check", """{"instance": "celery", "lists": ["celery"], "maxListLength": 2}""");
        controlPlane.Enqueue(job);

        var done = await CompletionOf(job);

        Assert.Equal(JobOutcome.Failed, done.Outcome);
        Assert.Equal("list celery: 3 items, at most 2", done.Error);
        Assert.Contains("LLEN celery -> 3", Output(job), StringComparison.Ordinal);
        Assert.DoesNotContain(RedisServer.Password, done.ResultJson + Output(job), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_WithAnInvalidIntegrationPolicy_StopsAtStart_WithTheConfigurationExitCode()
    {
        var policy = Policy();
        policy["Policy:Http:Credentials:admin-api:AllowedUrls:0"] = "not a url";
        policy["Policy:Redis:Instances:celery:Port"] = "0";
        await using var agent = AgentHarness.Start(controlPlane, policy);

        Assert.Equal(AgentExitCodes.Configuration, await agent.Run.WaitAsync(Eventually.Generous));
        Assert.Empty(controlPlane.CallsTo("Enroll"));
    }

    private Task<CompleteRequest> CompletionOf(JobAssignment job) =>
        Eventually.ValueAsync(() => controlPlane.Requests<CompleteRequest>().FirstOrDefault(c => c.JobId == job.JobId), $"Complete of {job.JobId}");

    private string Output(JobAssignment job) => string.Concat(controlPlane.Requests<AppendOutputRequest>()
        .Where(o => o.JobId == job.JobId).SelectMany(o => o.Chunks).OrderBy(c => c.Seq).Select(c => c.Data.ToStringUtf8()));
}
