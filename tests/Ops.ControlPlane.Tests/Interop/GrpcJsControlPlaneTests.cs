using System.Diagnostics;
using System.Text.Json;
using Ops.Contracts.Tests.Grpc.Interop;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Interop;

/// <summary>
/// An independent gRPC implementation (<c>@grpc/grpc-js</c>) drives the real control plane
/// through the whole agent protocol (DESIGN.md §3, interop direction a).
/// </summary>
public sealed class GrpcJsControlPlaneTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>, IAsyncLifetime
{
    private JsonElement _steps;

    public async Task InitializeAsync()
    {
        using var process = Process.Start(NodeInterop.StartInfo("control_plane_flow.js",
            [$"127.0.0.1:{factory.GrpcPort}", $"http://127.0.0.1:{factory.HttpPort}", factory.MintToken(Roles.Admin, "interop")]))
            ?? throw new InvalidOperationException("could not start node");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var text = (await stdout).Trim();
        Assert.True(process.ExitCode == 0 && text.Length > 0, $"control_plane_flow.js exited {process.ExitCode}: {text} {await stderr}");
        _steps = JsonDocument.Parse(text).RootElement.GetProperty("steps").Clone();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private JsonElement Step(string name) => _steps.GetProperty(name);

    private static int Code(JsonElement step) => step.GetProperty("code").GetInt32();

    [Fact]
    public void Enroll_ReturnsAnAgentIdentity()
    {
        var enroll = Step("enroll");
        Assert.True(enroll.GetProperty("ok").GetBoolean(), enroll.ToString());
        Assert.StartsWith("opsagt_", enroll.GetProperty("response").GetProperty("agent_token").GetString(), StringComparison.Ordinal);
        Assert.True(enroll.GetProperty("response").GetProperty("heartbeat_interval_ms").GetInt32() > 0);
    }

    [Fact]
    public void PullStartAppendHeartbeatComplete_RunTheJobToSucceeded()
    {
        Assert.Equal(202, Step("submit").GetProperty("status").GetInt32());
        var job = Step("pull").GetProperty("response").GetProperty("jobs")[0];
        Assert.Equal("agent.ping", job.GetProperty("kind").GetString());
        Assert.Equal(Step("submit").GetProperty("id").GetString(), job.GetProperty("operation_id").GetString());
        Assert.True(Step("start").GetProperty("response").GetProperty("proceed").GetBoolean());
        Assert.False(Step("append").GetProperty("response").GetProperty("cancel_requested").GetBoolean());
        Assert.Empty(Step("heartbeat").GetProperty("response").GetProperty("cancel_job_ids").EnumerateArray());
        Assert.True(Step("complete").GetProperty("response").GetProperty("accepted").GetBoolean());
        Assert.True(Step("completeAgain").GetProperty("response").GetProperty("accepted").GetBoolean());
        Assert.Equal("succeeded", Step("job").GetProperty("status").GetString());
        Assert.Equal("grpc-js-interop", Step("job").GetProperty("result").GetProperty("agentVersion").GetString());
        Assert.Equal(["pong from grpc-js\n", "é✓ utf-8\n"], Step("output").GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }

    [Fact]
    public void Errors_ReachGrpcJsWithTheirStatusCodes()
    {
        Assert.Equal(16, Code(Step("unauthenticated")));
        Assert.Equal(5, Code(Step("notFound")));
        Assert.Equal(9, Code(Step("failedPrecondition")));
        Assert.Equal(3, Code(Step("invalidArgument")));
        Assert.Equal(4, Code(Step("deadlineExceeded")));
        Assert.True(Step("afterDeadline").GetProperty("ok").GetBoolean(), "the server keeps serving after a deadline");
    }

    [Fact]
    public async Task GzipCompressedRequestsFromGrpcJs_AreAccepted()
    {
        var (_, agent) = await factory.EnrollAgentAsync();

        var result = await NodeInterop.RunAgentClientAsync(
            $"127.0.0.1:{factory.GrpcPort}", "Heartbeat", """{"running_job_ids":[]}""", "--token", agent.AgentToken!, "--gzip", "--deadline-ms", "20000");

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.True(result.GetProperty("response").GetProperty("heartbeat_interval_ms").GetInt32() > 0);
    }
}
