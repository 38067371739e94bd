using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>Webhooks against a real HTTP receiver (WireMock.Net): signatures, retries, 410, Retry-After, redirects, test and redelivery (DESIGN.md §15).</summary>
public sealed class WebhooksTests(WebhookApiFactory factory) : IClassFixture<WebhookApiFactory>, IDisposable
{
    private readonly WireMockServer _receiver = WireMockServer.Start();
    private readonly HttpClient _admin = factory.CreateClient(Roles.Admin);

    public void Dispose() => _receiver.Stop();

    private async Task<JsonElement> CreateAsync(string name, string path, string[] events, string format = "standard")
    {
        var response = await _admin.PutAsJsonAsync($"/api/v1/webhooks/{name}", new { url = $"{_receiver.Urls[0]}{path}", events, format });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private async Task<JsonElement> DeliveriesAsync(string name) =>
        (await (await _admin.GetAsync($"/api/v1/webhooks/{name}/deliveries")).ReadJsonAsync()).GetProperty("items");

    [Fact]
    public async Task Put_WhenCreated_ShowsTheSecretOnceAndTheDeliveryVerifiesWithIt()
    {
        _receiver.Given(Request.Create().WithPath("/signed").UsingPost()).RespondWith(Response.Create().WithStatusCode(204));
        var created = await CreateAsync("signed", "/signed", ["operation.failed"]);
        var secret = created.GetProperty("secret").GetString()!;
        try
        {
            Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
            var shown = await (await _admin.GetAsync("/api/v1/webhooks/signed")).ReadJsonAsync();
            Assert.False(shown.TryGetProperty("secret", out var s) && s.ValueKind != JsonValueKind.Null);
            var again = await _admin.PutAsJsonAsync("/api/v1/webhooks/signed", new { url = $"{_receiver.Urls[0]}/signed", events = new[] { "operation.failed" } });
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            var updated = await again.ReadJsonAsync();
            Assert.False(updated.TryGetProperty("secret", out var s2) && s2.ValueKind != JsonValueKind.Null);

            var operationId = Guid.NewGuid().ToString();
            await factory.EmitAsync("operation.failed", "operation", operationId, new { id = operationId, kind = "host.disk", status = "failed" });
            await Wait.UntilAsync(() => _receiver.Received("/signed").Count == 1, "the delivery");

            var request = _receiver.Received("/signed")[0];
            var body = request.RequestMessage.Body!;
            Assert.True(WebhookVerifier.Verify(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"), body, request.Header("webhook-signature")));
            Assert.False(WebhookVerifier.Verify("whsec_" + Convert.ToBase64String(new byte[32]), request.Header("webhook-id"), request.Header("webhook-timestamp"), body, request.Header("webhook-signature")));
            var json = request.Json();
            Assert.Equal("operation.failed", json.GetProperty("type").GetString());
            Assert.Equal(operationId, json.GetProperty("data").GetProperty("id").GetString());
            Assert.True(DateTimeOffset.TryParse(json.GetProperty("timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
            Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);

            await Wait.UntilAsync(async () => (await DeliveriesAsync("signed"))[0].GetProperty("status").GetString() == "succeeded", "the delivery to be recorded");
            var delivery = (await DeliveriesAsync("signed"))[0];
            Assert.Equal(204, delivery.GetProperty("responseStatus").GetInt32());
            Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
            Assert.Equal(request.Header("webhook-id"), delivery.GetProperty("messageId").GetString());

            var metrics = await (await factory.CreateClient(role: null).GetAsync("/metrics")).Content.ReadAsStringAsync();
            Assert.Contains(metrics.Split('\n'), l => l.StartsWith("ops_webhook_deliveries_total{", StringComparison.Ordinal) && l.Contains("outcome=\"succeeded\"", StringComparison.Ordinal));
            Assert.Contains(metrics.Split('\n'), l => l.StartsWith("ops_alerts_firing{", StringComparison.Ordinal) && l.Contains("severity=\"critical\"", StringComparison.Ordinal));
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/signed");
        }
    }

    [Fact]
    public async Task Delivery_WhenReceiverFailsThreeTimes_ArrivesOnTheFourthWithTheSameWebhookId()
    {
        var path = "/flaky";
        _receiver.Given(Request.Create().WithPath(path).UsingPost()).InScenario("flaky").WillSetStateTo("1").RespondWith(Response.Create().WithStatusCode(503));
        _receiver.Given(Request.Create().WithPath(path).UsingPost()).InScenario("flaky").WhenStateIs("1").WillSetStateTo("2").RespondWith(Response.Create().WithStatusCode(500));
        _receiver.Given(Request.Create().WithPath(path).UsingPost()).InScenario("flaky").WhenStateIs("2").WillSetStateTo("3").RespondWith(Response.Create().WithStatusCode(502));
        _receiver.Given(Request.Create().WithPath(path).UsingPost()).InScenario("flaky").WhenStateIs("3").RespondWith(Response.Create().WithStatusCode(200));
        var secret = (await CreateAsync("flaky", path, ["alert.firing"])).GetProperty("secret").GetString()!;
        try
        {
            await factory.EmitAsync("alert.firing", "alert", "a1", new { rule = "cpu-high", state = "firing" });
            await Wait.UntilAsync(async () => (await DeliveriesAsync("flaky"))[0].GetProperty("status").GetString() == "succeeded", "the fourth attempt to succeed");

            var received = _receiver.Received(path);
            Assert.Equal(4, received.Count);
            Assert.Equal([503, 500, 502, 200], received.Select(r => Convert.ToInt32(r.ResponseMessage.StatusCode, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Single(received.Select(r => r.Header("webhook-id")).Distinct());
            Assert.All(received, r => Assert.True(WebhookVerifier.Verify(secret, r.Header("webhook-id"), r.Header("webhook-timestamp"), r.RequestMessage.Body!, r.Header("webhook-signature"))));
            var delivery = (await DeliveriesAsync("flaky"))[0];
            Assert.Equal(4, delivery.GetProperty("attempts").GetInt32());
            Assert.Equal(200, delivery.GetProperty("responseStatus").GetInt32());
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/flaky");
        }
    }

    [Fact]
    public async Task Delivery_WhenReceiverAnswers410_DisablesTheWebhookAndQueuesNothingMore()
    {
        _receiver.Given(Request.Create().WithPath("/gone").UsingPost()).RespondWith(Response.Create().WithStatusCode(410));
        await CreateAsync("gone", "/gone", ["agent.offline"]);
        try
        {
            await factory.EmitAsync("agent.offline", "agent", "x", new { agentId = "x" });
            await Wait.UntilAsync(async () => !(await (await _admin.GetAsync("/api/v1/webhooks/gone")).ReadJsonAsync()).GetProperty("enabled").GetBoolean(), "the webhook to be disabled");
            var webhook = await (await _admin.GetAsync("/api/v1/webhooks/gone")).ReadJsonAsync();
            Assert.Contains("410", webhook.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
            var delivery = (await DeliveriesAsync("gone"))[0];
            Assert.Equal("failed", delivery.GetProperty("status").GetString());
            Assert.Equal(410, delivery.GetProperty("responseStatus").GetInt32());

            await factory.EmitAsync("agent.offline", "agent", "y", new { agentId = "y" });
            Assert.Equal(1, (await DeliveriesAsync("gone")).GetArrayLength());
            Assert.Single(_receiver.Received("/gone"));
            var test = await _admin.PostAsync("/api/v1/webhooks/gone/test", null);
            await ProblemAssert.IsProblemAsync(test, HttpStatusCode.Conflict);
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/gone");
        }
    }

    [Fact]
    public async Task Delivery_WhenReceiverSendsRetryAfter_SchedulesTheNextAttemptThen()
    {
        _receiver.Given(Request.Create().WithPath("/busy").UsingPost()).RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "120"));
        await CreateAsync("busy", "/busy", ["approval.requested"]);
        try
        {
            await factory.EmitAsync("approval.requested", "approval", "ap1", new { id = "ap1" });
            await Wait.UntilAsync(async () => (await DeliveriesAsync("busy"))[0].GetProperty("responseStatus").ValueKind == JsonValueKind.Number, "the first attempt");
            var delivery = (await DeliveriesAsync("busy"))[0];
            Assert.Equal("pending", delivery.GetProperty("status").GetString());
            Assert.Equal(429, delivery.GetProperty("responseStatus").GetInt32());
            var wait = delivery.GetProperty("nextAttemptAt").GetDateTimeOffset() - delivery.GetProperty("lastAttemptAt").GetDateTimeOffset();
            Assert.InRange(wait.TotalSeconds, 119.9, 180); // 120 s after the answer; the attempt itself took a moment
            Assert.Single(_receiver.Received("/busy"));
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/busy");
        }
    }

    [Fact]
    public async Task Delivery_WhenReceiverRedirects_DoesNotFollowAndRetries()
    {
        _receiver.Given(Request.Create().WithPath("/moved").UsingPost()).RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", $"{_receiver.Urls[0]}/elsewhere"));
        _receiver.Given(Request.Create().WithPath("/elsewhere")).RespondWith(Response.Create().WithStatusCode(200));
        await CreateAsync("moved", "/moved", ["approval.decided"]);
        try
        {
            await factory.EmitAsync("approval.decided", "approval", "ap2", new { id = "ap2", status = "approved" });
            await Wait.UntilAsync(() => _receiver.Received("/moved").Count >= 2, "a retry after the redirect");
            var delivery = (await DeliveriesAsync("moved"))[0];
            Assert.Equal("pending", delivery.GetProperty("status").GetString());
            Assert.Contains("redirects are not followed", delivery.GetProperty("lastError").GetString(), StringComparison.Ordinal);
            Assert.Empty(_receiver.Received("/elsewhere"));
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/moved");
        }
    }

    [Fact]
    public async Task Test_SendsATestEventToThatWebhookOnly()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        await CreateAsync("tested", "/tested", ["operation.succeeded"]);
        await CreateAsync("bystander", "/bystander", ["operation.succeeded"]);
        try
        {
            var response = await _admin.PostAsync("/api/v1/webhooks/tested/test", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await Wait.UntilAsync(() => _receiver.Received("/tested").Count == 1, "the test event");
            var json = _receiver.Received("/tested")[0].Json();
            Assert.Equal("test", json.GetProperty("type").GetString());
            Assert.Equal("tested", json.GetProperty("data").GetProperty("webhook").GetString());
            Assert.Empty(_receiver.Received("/bystander"));
            Assert.Equal(HttpStatusCode.NotFound, (await _admin.PostAsync("/api/v1/webhooks/nope/test", null)).StatusCode);
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/tested");
            await _admin.DeleteAsync("/api/v1/webhooks/bystander");
        }
    }

    [Fact]
    public async Task Redeliver_SendsTheEventAgainWithTheSameWebhookId()
    {
        _receiver.Given(Request.Create().WithPath("/again").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        await CreateAsync("again", "/again", ["schedule.slot_failed"]);
        try
        {
            await factory.EmitAsync("schedule.slot_failed", "schedule", "nightly", new { schedule = "nightly", slotAt = "2026-01-01T00:00:00Z", status = "failed" });
            await Wait.UntilAsync(async () => (await DeliveriesAsync("again"))[0].GetProperty("status").GetString() == "succeeded", "the first delivery");
            var first = (await DeliveriesAsync("again"))[0];
            var response = await _admin.PostAsync($"/api/v1/webhooks/again/deliveries/{first.GetProperty("id").GetInt64()}/redeliver", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await Wait.UntilAsync(() => _receiver.Received("/again").Count == 2, "the redelivery");
            var received = _receiver.Received("/again");
            Assert.Equal(received[0].Header("webhook-id"), received[1].Header("webhook-id"));
            Assert.Equal(received[0].RequestMessage.Body, received[1].RequestMessage.Body);
            var redelivery = (await DeliveriesAsync("again"))[0];
            Assert.Equal(first.GetProperty("id").GetInt64(), redelivery.GetProperty("redeliveryOf").GetInt64());
            Assert.Equal(HttpStatusCode.NotFound, (await _admin.PostAsync("/api/v1/webhooks/again/deliveries/999999/redeliver", null)).StatusCode);
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/again");
        }
    }

    [Fact]
    public async Task Slack_PostsOneReadableLineWithALinkToTheResource()
    {
        _receiver.Given(Request.Create().WithPath("/slack").UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        await CreateAsync("chat", "/slack", ["operation.failed"], format: "slack");
        try
        {
            var id = Guid.NewGuid().ToString();
            await factory.EmitAsync("operation.failed", "operation", id, new { id, kind = "postgres.backup", status = "failed", jobs = 2, createdBy = "alice" });
            await Wait.UntilAsync(() => _receiver.Received("/slack").Count == 1, "the Slack message");
            var json = _receiver.Received("/slack")[0].Json();
            var text = json.GetProperty("text").GetString()!;
            Assert.Single(json.EnumerateObject());
            Assert.DoesNotContain('\n', text);
            Assert.Contains("operation.failed", text, StringComparison.Ordinal);
            Assert.Contains("postgres.backup", text, StringComparison.Ordinal);
            Assert.Contains($"/api/v1/operations/{id}|", text, StringComparison.Ordinal);
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/chat");
        }
    }

    [Fact]
    public async Task Put_WithBadInput_NamesEveryField()
    {
        var response = await _admin.PutAsJsonAsync("/api/v1/webhooks/bad", new { events = new[] { "operation.failed", "nope" }, format = "teams" });
        var problem = await ProblemAssert.HasFieldErrorAsync(response, "url");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("events[1]", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("format", out _), errors.ToString());

        var both = await ProblemAssert.HasFieldErrorAsync(await _admin.PutAsJsonAsync("/api/v1/webhooks/Bad Name", new { url = "https://example.com/", events = new[] { "test" } }), "name");
        Assert.True(both.GetProperty("errors").TryGetProperty("events[0]", out _), "'test' is sent by POST …/test only, not subscribable");
        await ProblemAssert.HasFieldErrorAsync(await _admin.PutAsJsonAsync("/api/v1/webhooks/x", new { url = "ftp://example.com/", events = new[] { "operation.failed" } }), "url");
        await ProblemAssert.HasFieldErrorAsync(await _admin.PutAsJsonAsync("/api/v1/webhooks/x", new { url = "https://example.com/", events = Array.Empty<string>() }), "events");
        await ProblemAssert.HasFieldErrorAsync(await _admin.PutAsync("/api/v1/webhooks/x", new StringContent("{\"url\": 5}", System.Text.Encoding.UTF8, "application/json")), "url");
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/v1/webhooks/x")).StatusCode);
        await ProblemAssert.HasFieldErrorAsync(await _admin.GetAsync("/api/v1/webhooks/x/deliveries?status=done"), "status");
    }

    [Fact]
    public async Task Put_OfTheSameNameConcurrently_CreatesOnceAndUpdatesTheRest()
    {
        try
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                _admin.PutAsJsonAsync("/api/v1/webhooks/racy", new { url = $"{_receiver.Urls[0]}/racy{i}", events = new[] { "operation.failed" } })));
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Single(await Task.WhenAll(responses.Select(async r => (await r.ReadJsonAsync()).TryGetProperty("secret", out var s) && s.ValueKind == JsonValueKind.String)), hasSecret => hasSecret);
        }
        finally
        {
            await _admin.DeleteAsync("/api/v1/webhooks/racy");
        }
    }

    [Fact]
    public async Task Webhooks_ForOperatorsAndViewers_AreForbidden()
    {
        foreach (var role in new[] { Roles.Viewer, Roles.Operator })
        {
            var client = factory.CreateClient(role);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/webhooks")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsJsonAsync("/api/v1/webhooks/w", new { url = "https://example.com/", events = new[] { "operation.failed" } })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient(role: null).GetAsync("/api/v1/webhooks")).StatusCode);
    }
}
