using System.Text.Json;
using Ops.Contracts.Tests.Grpc.Infrastructure;

namespace Ops.Contracts.Tests.Grpc.Interop;

/// <summary>
/// Interop direction (a): <c>node tests/interop/agent_client.js</c> (@grpc/grpc-js) against our server
/// (<see cref="TestAgentService"/> mapped with MapGrpcService on real Kestrel).
/// </summary>
public sealed class GrpcJsClientInteropTests(AgentServerFixture fixture) : IClassFixture<AgentServerFixture>
{
    private string Target => $"127.0.0.1:{fixture.Server.Address.Port}";

    [Fact]
    public async Task AgentClientJs_Enroll_SucceedsWithTokenAndMetadataBothWays()
    {
        var result = await NodeInterop.RunAgentClientAsync(
            Target,
            "Enroll",
            """{"enrollment_token":"ok","hostname":"node-host"}""",
            "--token", "agent-secret",
            "--metadata", "x-echo=from-node",
            "--metadata", "x-data-bin=AAEC/w",
            "--deadline-ms", "20000");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var response = result.GetProperty("response");
        Assert.Equal("agent-node-host", response.GetProperty("agent_id").GetString());
        Assert.Equal("Bearer agent-secret", response.GetProperty("agent_token").GetString());
        Assert.InRange(response.GetProperty("heartbeat_interval_ms").GetInt32(), 1, 20_000);
        Assert.Equal("from-node", First(result, "headers", "x-echo"));
        Assert.Equal("AAEC/w==", First(result, "headers", "x-data-bin"));
        Assert.Equal("from-node", First(result, "trailers", "x-echo-trailer"));
        Assert.Equal("AAEC/w==", First(result, "trailers", "x-data-trailer-bin"));
    }

    [Fact]
    public async Task AgentClientJs_WhenServerFails_SeesStatusNonAsciiMessageAndTrailers()
    {
        var result = await NodeInterop.RunAgentClientAsync(Target, "Enroll", """{"enrollment_token":"status:9"}""");

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal(9, result.GetProperty("code").GetInt32());
        Assert.Equal("Fehler ü ✓ 100% sicher: status 9", result.GetProperty("details").GetString());
        Assert.Equal("yes", First(result, "trailers", "x-error"));
    }

    [Fact]
    public async Task AgentClientJs_WhenDeadlinePasses_GetsDeadlineExceededAndTheHandlerIsCancelled()
    {
        var id = Guid.NewGuid().ToString("N");

        var result = await NodeInterop.RunAgentClientAsync(
            Target, "Enroll", $$"""{"enrollment_token":"sleep:30000:{{id}}"}""", "--deadline-ms", "300");

        Assert.Equal(4, result.GetProperty("code").GetInt32());
        Assert.True(await fixture.Service.WhenSleeperEnds(id).WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task AgentClientJs_WithGzipCompressedRequest_Succeeds()
    {
        var result = await NodeInterop.RunAgentClientAsync(
            Target, "Enroll", """{"enrollment_token":"ok","hostname":"zipped"}""", "--gzip");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("agent-zipped", result.GetProperty("response").GetProperty("agent_id").GetString());
    }

    [Fact]
    public async Task AgentClientJs_Pull_WithThreeMiBResponse_Succeeds()
    {
        var result = await NodeInterop.RunAgentClientAsync(Target, "Pull", """{"max_jobs":3,"wait_ms":0}""");

        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(3 * TestAgentService.MiB, result.GetProperty("response").GetProperty("jobs")[0].GetProperty("parameters_json").GetString()!.Length);
    }

    [Fact]
    public async Task AgentClientJs_CallingMethodTheServerDoesNotImplement_GetsUnimplemented()
    {
        var result = await NodeInterop.RunAgentClientAsync(Target, "Heartbeat", "{}");

        Assert.Equal(12, result.GetProperty("code").GetInt32());
    }

    private static string? First(JsonElement result, string section, string key) =>
        result.GetProperty(section).TryGetProperty(key, out var values) ? values[0].GetString() : null;
}
