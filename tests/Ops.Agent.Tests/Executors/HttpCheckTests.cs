using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ops.Agent.Executors;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace Ops.Agent.Tests.Executors;

/// <summary>http.check (seed 000/001 <c>curl /health</c>) against a real HTTP server, WireMock.Net on loopback.</summary>
public sealed class HttpCheckTests : IDisposable
{
    private readonly RecordingOutput output = new();
    private readonly WireMockServer server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
    private readonly HttpCheckExecutor executor = new(TimeProvider.System);

    public HttpCheckTests()
    {
        server.Given(Request.Create().WithPath("/health").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"status\":\"ok\"}"));
        server.Given(Request.Create().WithPath("/down").UsingGet()).RespondWith(Response.Create().WithStatusCode(503).WithBody("maintenance"));
        server.Given(Request.Create().WithPath("/slow").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("late").WithDelay(TimeSpan.FromMilliseconds(600)));
        server.Given(Request.Create().WithPath("/hang").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(5)));
        for (var n = 1; n <= 8; n++)
        {
            server.Given(Request.Create().WithPath($"/r/{n}").UsingGet()).RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", $"/r/{n - 1}"));
        }

        server.Given(Request.Create().WithPath("/r/0").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("arrived"));
    }

    private string Url(string path) => server.Url + path;

    [Fact]
    public async Task Healthy_Succeeds_WithStatusLatencyAndBody()
    {
        var result = await Run(new HttpCheckParameters(Url("/health"), BodyContains: "\"ok\"", MaxLatencyMs: 60_000));

        Assert.True(result.Succeeded, result.Error);
        using var json = Json(result);
        Assert.Equal(200, json.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(15, json.RootElement.GetProperty("bodyBytes").GetInt64());
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(3, json.RootElement.GetProperty("checks").GetArrayLength());
    }

    [Fact]
    public async Task BadStatus_Fails_NamingTheExpectedRange()
    {
        var result = await Run(new HttpCheckParameters(Url("/down")));

        Assert.Equal("status: 503, expected 200-399", result.Error);
    }

    [Fact]
    public async Task SlowerThanMaxLatency_Fails_ButAnswers()
    {
        var result = await Run(new HttpCheckParameters(Url("/slow"), MaxLatencyMs: 100));

        Assert.False(result.Succeeded);
        Assert.Contains("latency", result.Error, StringComparison.OrdinalIgnoreCase);
        using var json = Json(result);
        Assert.Equal(200, json.RootElement.GetProperty("status").GetInt32());
        Assert.True(json.RootElement.GetProperty("latencyMs").GetDouble() >= 100);
    }

    [Fact]
    public async Task BodyWithoutTheExpectedText_Fails()
    {
        var result = await Run(new HttpCheckParameters(Url("/health"), BodyContains: "degraded"));

        Assert.Equal("bodyContains: 'degraded' not in the first 15 bytes", result.Error);
    }

    [Fact]
    public async Task Redirects_AreFollowedUpToFive()
    {
        var three = await Run(new HttpCheckParameters(Url("/r/3"), BodyContains: "arrived"));
        var eight = await Run(new HttpCheckParameters(Url("/r/8"), ExpectedStatus: [200]));

        Assert.True(three.Succeeded, three.Error);
        Assert.Equal("status: 302, expected one of 200", eight.Error);
    }

    [Fact]
    public async Task NoAnswerWithinTheTimeout_Fails()
    {
        var result = await Run(new HttpCheckParameters(Url("/hang"), TimeoutMs: 200));

        Assert.Contains("no complete answer within 200 ms", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionResetByThePeer_Fails()
    {
        // A peer that accepts, reads the request and resets the connection (RST: linger 0).
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var peer = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            _ = await socket.ReceiveAsync(new byte[4096], SocketFlags.None);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });

        var result = await Run(new HttpCheckParameters($"http://127.0.0.1:{port}/health"));
        await peer;

        Assert.False(result.Succeeded);
        Assert.False(string.IsNullOrEmpty(result.Error));
        Assert.Contains($"127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionRefused_Fails_SayingSo()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await Run(new HttpCheckParameters($"http://127.0.0.1:{port}/"));

        Assert.False(result.Succeeded);
        Assert.Contains("refused", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        executor.Dispose();
        server.Stop();
        server.Dispose();
    }

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private Task<ExecutorResult> Run(HttpCheckParameters parameters) =>
        executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);
}
