using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Executors;
using Ops.Agent.Policy;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.Agent.Tests.Executors;

/// <summary>
/// queue.check against WireMock.Net stubs of the RabbitMQ management HTTP API, shaped like its
/// documented responses (GET /api/queues/{vhost}/{name}; errors as {"error", "reason"}).
/// </summary>
public sealed class QueueCheckTests : IDisposable
{
    private const string MonitorPassword = "rabbit-monitor-pw-31";

    // A trimmed GET /api/queues/%2F/celery answer of RabbitMQ 3.12's management plugin.
    private const string CeleryQueue = """
        {"arguments":{},"auto_delete":false,"backing_queue_status":{"mode":"default"},"consumer_capacity":1.0,
         "consumer_utilisation":1.0,"consumers":2,"durable":true,"exclusive":false,"memory":55640,
         "message_stats":{"ack":9120,"ack_details":{"rate":3.2},"deliver_get":9131,"deliver_get_details":{"rate":3.4},
           "publish":10480,"publish_details":{"rate":12.6}},
         "messages":1350,"messages_details":{"rate":9.2},"messages_ready":1340,"messages_ready_details":{"rate":9.0},
         "messages_unacknowledged":10,"messages_unacknowledged_details":{"rate":0.2},"name":"celery","node":"rabbit@broker",
         "policy":null,"state":"running","type":"classic","vhost":"/"}
        """;

    private readonly WireMockServer server = WireMockServer.Start();
    private readonly RecordingOutput output = new();

    public QueueCheckTests()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("monitor:" + MonitorPassword));

        // The vhost "/" percent-encoded in the URL, as the API documents.
        server.Given(Request.Create().WithUrl("*/api/queues/%2F/celery").UsingGet().WithHeader("Authorization", basic))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(CeleryQueue));
        server.Given(Request.Create().WithPath("/api/queues/prod/emails").UsingGet().WithHeader("Authorization", basic))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("""{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"name":"emails","state":"running","vhost":"prod"}"""));
        server.Given(Request.Create().WithPath("/api/queues/*").UsingGet().WithHeader("Authorization", basic))
            .AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "application/json").WithBody("""{"error":"Object Not Found","reason":"Not Found"}"""));
        server.Given(Request.Create().WithPath("/api/queues/*").UsingGet())
            .AtPriority(20)
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("Content-Type", "application/json").WithBody("""{"error":"not_authorized","reason":"Login failed"}"""));
    }

    private string Url => server.Urls[0];

    public void Dispose() => server.Stop();

    [Fact]
    public async Task QueueCheck_ReadsMessagesConsumersAndRates_OfTheDefaultVhost()
    {
        var result = await Run(Policy(), new QueueCheckParameters("broker", "celery", MaxMessages: 5000, MinConsumers: 1));

        Assert.True(result.Succeeded, result.Error);
        using var json = Json(result);
        var root = json.RootElement;
        Assert.Equal("/", root.GetProperty("vhost").GetString());
        Assert.Equal(1350, root.GetProperty("messages").GetInt64());
        Assert.Equal(1340, root.GetProperty("messagesReady").GetInt64());
        Assert.Equal(10, root.GetProperty("messagesUnacknowledged").GetInt64());
        Assert.Equal(2, root.GetProperty("consumers").GetInt64());
        Assert.Equal("running", root.GetProperty("state").GetString());
        Assert.Equal(12.6, root.GetProperty("publishRate").GetDouble());
        Assert.Equal(3.4, root.GetProperty("deliverRate").GetDouble());
        Assert.Equal(2, root.GetProperty("checks").GetArrayLength());
        Assert.Contains("queue 'celery': 1350 messages (1340 ready, 10 unacknowledged), 2 consumers, state running", output.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(MonitorPassword, output.Text + root.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueueCheck_QueueOverMaxMessages_OrWithoutConsumers_Fails()
    {
        var deep = await Run(Policy(), new QueueCheckParameters("broker", "celery", MaxMessages: 1000));
        Assert.False(deep.Succeeded);
        Assert.Equal("messages: 1350 messages, at most 1000", deep.Error);

        var idle = await Run(Policy(), new QueueCheckParameters("broker", "emails", Vhost: "prod", MinConsumers: 1));
        Assert.Equal("consumers: 0 consumers, at least 1", idle.Error);
    }

    [Fact]
    public async Task QueueCheck_UnknownQueue_BadCredential_UnknownEndpoint_AndACredentialNotAllowedThere_Fail()
    {
        var missing = await Run(Policy(), new QueueCheckParameters("broker", "nope"));
        Assert.Equal("queue 'nope' does not exist in vhost '/' of 'broker' (404: Not Found)", missing.Error);

        var badPassword = await Run(Policy("not-the-password"), new QueueCheckParameters("broker", "celery"));
        Assert.Equal("'broker' refused credential 'rabbit-monitor' (401: Login failed)", badPassword.Error);

        var unknown = await Run(Policy(), new QueueCheckParameters("other", "celery"));
        Assert.Equal("rabbitmq endpoint 'other' is not in this agent's policy (Policy:RabbitMq:Endpoints; known: broker)", unknown.Error);

        var requests = server.LogEntries.Count();
        var notAllowed = Options.Create(new PolicyOptions
        {
            Http = new HttpPolicyOptions { Credentials = { ["rabbit-monitor"] = new() { Scheme = "basic", Username = "monitor", Password = MonitorPassword, AllowedUrls = ["http://elsewhere.test/"] } } },
            RabbitMq = new RabbitMqPolicyOptions { Endpoints = { ["broker"] = new() { Url = Url, Credential = "rabbit-monitor" } } },
        });
        var refused = await Run(notAllowed, new QueueCheckParameters("broker", "celery"));
        Assert.StartsWith("credential 'rabbit-monitor' may not be sent to", refused.Error, StringComparison.Ordinal);
        Assert.Equal(requests, server.LogEntries.Count());
    }

    private IOptions<PolicyOptions> Policy(string password = MonitorPassword) => Options.Create(new PolicyOptions
    {
        Http = new HttpPolicyOptions { Credentials = { ["rabbit-monitor"] = new() { Scheme = "basic", Username = "monitor", Password = password, AllowedUrls = [Url + "/api/"] } } },
        RabbitMq = new RabbitMqPolicyOptions { Endpoints = { ["broker"] = new() { Url = Url + "/", Credential = "rabbit-monitor" } } },
    });

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private async Task<ExecutorResult> Run(IOptions<PolicyOptions> policy, QueueCheckParameters parameters)
    {
        using var executor = new QueueCheckExecutor(policy, TimeProvider.System);
        return await executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);
    }
}
