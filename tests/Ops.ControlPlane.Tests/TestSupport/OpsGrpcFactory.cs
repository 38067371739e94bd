using System.Net;
using System.Net.Sockets;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Grpc.Core;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// The control plane on real Kestrel sockets (REST and the agent gRPC h2c port on loopback),
/// for tests that speak gRPC to it. Short lease and grace periods so the reaper can be observed.
/// </summary>
public class OpsGrpcFactory : OpsApiFactory
{
    public OpsGrpcFactory()
    {
        HttpPort = LoopbackPorts.Free();
        GrpcPort = LoopbackPorts.Free();
        Settings["OPS_HTTP_PORT"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Settings["OPS_GRPC_PORT"] = GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Settings["AgentProtocol:LeaseDuration"] = "00:00:02";
        Settings["AgentProtocol:RunningGrace"] = "00:00:02";
        Settings["AgentProtocol:ReaperInterval"] = "00:00:00.200";
        UseKestrel();
    }

    public int HttpPort { get; }

    public int GrpcPort { get; }

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    protected override Uri? RestBaseAddress => new($"http://127.0.0.1:{HttpPort}");

    protected override void StartHost() => StartServer();

    /// <summary>A gRPC client of this replica, optionally authenticated with an agent token.</summary>
    public AgentClient CreateAgentClient(string? agentToken = null) =>
        new(GrpcAddress, agentToken);

    /// <summary>Creates an enrollment token over REST and enrolls a new agent over gRPC.</summary>
    public async Task<(string AgentId, AgentClient Client)> EnrollAgentAsync(
        IReadOnlyDictionary<string, string>? labels = null, string[]? capabilities = null)
    {
        var admin = CreateClient(Roles.Admin);
        var token = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("token").GetString()!;
        var client = CreateAgentClient();
        var request = new EnrollRequest { EnrollmentToken = token, Hostname = "test-host", AgentVersion = "0.1.0-test" };
        request.Capabilities.AddRange(capabilities ?? ["agent.ping", "host.disk"]);
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            request.Labels[key] = value;
        }

        var enrolled = await client.EnrollAsync(request);
        client.AgentToken = enrolled.AgentToken;
        return (enrolled.AgentId, client);
    }
}
