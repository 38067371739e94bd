using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// A transient database failure is UNAVAILABLE on the agent port (which the agent retries), never
/// UNKNOWN (issue 16 item 3): the control plane runs on its own embedded cluster, stopped and
/// started again by the test.
/// </summary>
public sealed class GrpcDatabaseOutageTests : IAsyncLifetime
{
    private readonly EmbeddedPostgres _cluster = new(
        new EmbeddedPostgresOptions(Path.Combine(Path.GetTempPath(), $"ops-tests-grpcout-{Guid.NewGuid():N}"[..40], "pg"), Durable: false),
        NullLogger<EmbeddedPostgres>.Instance);

    private OpsGrpcFactory _factory = null!;

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync(CancellationToken.None);
        _factory = new OpsGrpcFactory { SharedConnectionString = _cluster.GetConnectionString() };
        await _factory.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_factory).DisposeAsync();
        await _cluster.StopAsync(CancellationToken.None);
        try
        {
            Directory.Delete(Path.GetDirectoryName(_cluster.RootDirectory)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AgentCalls_WhileTheDatabaseIsDown_AreUnavailableThenWorkAgain()
    {
        var (_, client) = await _factory.EnrollAgentAsync();
        await client.HeartbeatAsync(new HeartbeatRequest());

        await _cluster.StopAsync(CancellationToken.None);
        var heartbeat = await Assert.ThrowsAsync<RpcException>(() => client.HeartbeatAsync(new HeartbeatRequest()));
        var pull = await Assert.ThrowsAsync<RpcException>(() => client.PullAsync(new PullRequest { MaxJobs = 1 }));
        await _cluster.StartAsync(CancellationToken.None);

        Assert.Equal(StatusCode.Unavailable, heartbeat.StatusCode);
        Assert.Equal(StatusCode.Unavailable, pull.StatusCode);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await client.HeartbeatAsync(new HeartbeatRequest());
                break;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }
}
