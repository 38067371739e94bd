using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ops.ControlPlane.Features.Webhooks;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>
/// Webhook targets on refused networks (DESIGN.md §15), with the production default
/// (<c>Webhooks:AllowPrivateNetworks</c> off): refused at save time, and at delivery time on the
/// address actually resolved (DNS rebinding).
/// </summary>
public sealed class SsrfTests : IAsyncLifetime
{
    private readonly RebindingResolver _resolver = new();
    private readonly StrictWebhookApiFactory _factory = new();
    private readonly WireMockServer _receiver = WireMockServer.Start();

    public SsrfTests()
    {
        _factory.Resolver = _resolver;
    }

    public Task InitializeAsync() => _factory.InitializeAsync();

    public async Task DisposeAsync()
    {
        _receiver.Stop();
        await ((IAsyncLifetime)_factory).DisposeAsync();
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost:9/hook")]
    [InlineData("http://[::1]:9/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://172.16.0.1/hook")]
    [InlineData("http://192.168.1.1/hook")]
    [InlineData("http://[fd12::1]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://0.0.0.0/hook")]
    public async Task Put_WhenTheTargetIsOnARefusedNetwork_IsRefused(string url)
    {
        var response = await _factory.CreateClient(Roles.Admin).PutAsJsonAsync("/api/v1/webhooks/ssrf", new { url, events = new[] { "operation.failed" } });
        var problem = await ProblemAssert.HasFieldErrorAsync(response, "url");
        Assert.Contains("refused", problem.GetProperty("errors").GetProperty("url")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delivery_WhenTheHostResolvesToLoopbackAfterTheSave_IsRefusedAndNothingArrives()
    {
        _receiver.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200));
        var admin = _factory.CreateClient(Roles.Admin);
        var port = new Uri(_receiver.Urls[0]).Port;
        // At save time the name resolves to a public address; afterwards to 127.0.0.1, where the receiver listens.
        _resolver.Answers.Enqueue([IPAddress.Parse("93.184.216.34")]);
        var saved = await admin.PutAsJsonAsync("/api/v1/webhooks/rebound", new { url = $"http://rebind.example:{port}/hook", events = new[] { "operation.failed" } });
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);

        await _factory.QueryScalarAsync<long>("SELECT emit_event('operation.failed', 'operation', 'o1', '{}')");
        JsonElement delivery = default;
        await Wait.UntilAsync(async () =>
        {
            delivery = (await (await admin.GetAsync("/api/v1/webhooks/rebound/deliveries")).ReadJsonAsync()).GetProperty("items")[0];
            return delivery.GetProperty("lastError").ValueKind == JsonValueKind.String;
        }, "the refused attempt");
        Assert.Contains("target refused", delivery.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", delivery.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal("pending", delivery.GetProperty("status").GetString());
        Assert.Empty(_receiver.LogEntries);
    }

    [Fact]
    public async Task Put_WithPrivateNetworksAllowed_StillRefusesLinkLocal()
    {
        await using var allowing = new WebhookApiFactory();
        await allowing.InitializeAsync();
        var admin = allowing.CreateClient(Roles.Admin);
        await ProblemAssert.HasFieldErrorAsync(
            await admin.PutAsJsonAsync("/api/v1/webhooks/meta", new { url = "http://169.254.169.254/", events = new[] { "operation.failed" } }), "url");
        await ProblemAssert.HasFieldErrorAsync(
            await admin.PutAsJsonAsync("/api/v1/webhooks/meta", new { url = "http://[fe80::1%25eth0]/", events = new[] { "operation.failed" } }), "url");
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("/api/v1/webhooks/local", new { url = "http://127.0.0.1:9/", events = new[] { "operation.failed" } })).StatusCode);
    }

    /// <summary>Answers queued addresses first, then 127.0.0.1: a name whose DNS answer changes after it was checked.</summary>
    private sealed class RebindingResolver : IWebhookHostResolver
    {
        public System.Collections.Concurrent.ConcurrentQueue<IPAddress[]> Answers { get; } = new();

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult(host == "localhost" ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : Answers.TryDequeue(out var a) ? a : [IPAddress.Loopback]);
    }
}
